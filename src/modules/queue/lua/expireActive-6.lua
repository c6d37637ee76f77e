--[[
  Leader only. Ends admissions past their idle deadline or their hard deadline.

  Input:
    KEYS[1] lease      this concert's copy of the leader lease
    KEYS[2] active     zset: user -> idle deadline (ms)
    KEYS[3] activeMax  zset: user -> hard deadline (ms)
    KEYS[4] eid        hash: user -> entry id
    KEYS[5] ended      hash: user -> "<entry id>:<reason>"
    KEYS[6] seen       zset: user -> last sign of life (an ended admission leaves it)
    ARGV[1] leader lease token
    ARGV[2] most entries to expire in one call

  Output: JSON {fenced} or {expired = [user, ...]}
]]
-- @include "now"
-- @include "fence"
-- @include "endEntry"

local lease, active, activeMax, eidKey, ended, seen = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
if fenced(lease, ARGV[1]) then return cjson.encode({ fenced = true }) end
local now = nowMs()
local limit = tonumber(ARGV[2])

local expired = {}
local seenUser = {}
for _, key in ipairs({ active, activeMax }) do
  local due = redis.call('ZRANGE', key, '-inf', '(' .. now, 'BYSCORE', 'LIMIT', 0, limit)
  for _, user in ipairs(due) do
    if not seenUser[user] then
      seenUser[user] = true
      redis.call('ZREM', active, user)
      redis.call('ZREM', activeMax, user)
      redis.call('ZREM', seen, user)
      endEntry(eidKey, ended, user, 'expired')
      expired[#expired + 1] = user
    end
  end
end
return cjson.encode({ expired = expired })
