--[[
  Leader only. Retires the line of a concert whose schedules have all started: every live entry
  ends (reason 'closed'), and the line's keys go. What stays expires by itself: the ended records
  (so an old token still gets 410 with its reason, for a day) and a short-lived tombstone in meta
  that refuses joins let through by an instance's cached sale window.

  Input:
    KEYS[1..10] meta, policy, prequeue, waiting, active, activeMax, eid, ended, seen, departures
                (as join-12)
    KEYS[11] lease     this concert's copy of the leader lease
    KEYS[12] admissions  the console's admission history (admission-history.store.ts)
    ARGV[1] leader lease token
    ARGV[2] tombstone lifetime (seconds)

  Output: JSON {fenced} or {ended = [user, ...]} (the fans whose entry this ended)
]]
-- @include "now"
-- @include "fence"
-- @include "endEntry"

local meta, policy, prequeue, waiting, active, activeMax, eidKey, ended, seen, departures, lease =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11]
local admissions = KEYS[12]
if fenced(lease, ARGV[1]) then return cjson.encode({ fenced = true }) end

local users = {}
for _, key in ipairs({ active, waiting, prequeue }) do
  for _, user in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    endEntry(eidKey, ended, user, 'closed')
    users[#users + 1] = user
  end
end
redis.call('DEL', policy, prequeue, waiting, active, activeMax, eidKey, seen, departures, lease, meta,
  admissions)
redis.call('HSET', meta, 'retired', '1')
redis.call('EXPIRE', meta, tonumber(ARGV[2]))
return cjson.encode({ ended = users })
