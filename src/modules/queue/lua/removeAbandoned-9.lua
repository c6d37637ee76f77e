--[[
  Leader only. Ends the entries of fans with no sign of life (no connected socket, no status call,
  no booking request) for abandonSeconds: a waiting or pre-queue fan's place is removed, so an
  abandoned place never takes an admission; an admitted fan's admission ends (expired), so fans
  whose clients have gone do not hold the active slots until their idle deadline.

  Input:
    KEYS[1] lease      this concert's copy of the leader lease
    KEYS[2] seen       zset: user -> last sign of life (ms)
    KEYS[3] prequeue   zset
    KEYS[4] waiting    zset: user -> ticket
    KEYS[5] active     zset: user -> idle deadline (ms)
    KEYS[6] activeMax  zset: user -> hard deadline (ms)
    KEYS[7] eid        hash
    KEYS[8] ended      hash
    KEYS[9] departures zset: tickets of waiting fans gone since the last tick
    ARGV[1] leader lease token
    ARGV[2] abandonSeconds
    ARGV[3] most entries to end in one call

  Output: JSON {fenced} or {removed = [user, ...] (were waiting), expired = [user, ...] (were active)}
]]
-- @include "now"
-- @include "fence"
-- @include "endEntry"

local lease, seen, prequeue, waiting, active, activeMax, eidKey, ended, departures =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
if fenced(lease, ARGV[1]) then return cjson.encode({ fenced = true }) end
local cutoff = nowMs() - tonumber(ARGV[2]) * 1000

local removed, expired = {}, {}
local due = redis.call('ZRANGE', seen, '-inf', '(' .. cutoff, 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[3]))
for _, user in ipairs(due) do
  redis.call('ZREM', seen, user)
  if redis.call('ZREM', active, user) == 1 then
    redis.call('ZREM', activeMax, user)
    endEntry(eidKey, ended, user, 'expired')
    expired[#expired + 1] = user
  else
    local ticket = redis.call('ZSCORE', waiting, user)
    if ticket then
      redis.call('ZREM', waiting, user)
      redis.call('ZADD', departures, ticket, ticket)
    end
    if ticket or redis.call('ZREM', prequeue, user) == 1 then
      endEntry(eidKey, ended, user, 'removed')
      removed[#removed + 1] = user
    end
  end
end
return cjson.encode({ removed = removed, expired = expired })
