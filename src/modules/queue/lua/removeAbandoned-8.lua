--[[
  Leader only. Removes waiting and pre-queue fans with no sign of life (no connected socket, no
  status call) for abandonSeconds, so an abandoned place never takes an admission.

  Input:
    KEYS[1] lease      this concert's copy of the leader lease
    KEYS[2] seen       zset: user -> last sign of life (ms)
    KEYS[3] prequeue   zset
    KEYS[4] waiting    zset: user -> ticket
    KEYS[5] eid        hash
    KEYS[6] ended      hash
    KEYS[7] departures zset: tickets of waiting fans gone since the last tick
    KEYS[8] meta       hash (unused here)
    ARGV[1] leader lease token
    ARGV[2] abandonSeconds
    ARGV[3] most entries to remove in one call

  Output: JSON {fenced} or {removed = [user, ...]}
]]
-- @include "now"
-- @include "fence"
-- @include "endEntry"

local lease, seen, prequeue, waiting, eidKey, ended, departures =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
if fenced(lease, ARGV[1]) then return cjson.encode({ fenced = true }) end
local cutoff = nowMs() - tonumber(ARGV[2]) * 1000

local removed = {}
local due = redis.call('ZRANGE', seen, '-inf', '(' .. cutoff, 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[3]))
for _, user in ipairs(due) do
  redis.call('ZREM', seen, user)
  local ticket = redis.call('ZSCORE', waiting, user)
  if ticket then
    redis.call('ZREM', waiting, user)
    redis.call('ZADD', departures, ticket, ticket)
  else
    redis.call('ZREM', prequeue, user)
  end
  endEntry(eidKey, ended, user, 'removed')
  removed[#removed + 1] = user
end
return cjson.encode({ removed = removed })
