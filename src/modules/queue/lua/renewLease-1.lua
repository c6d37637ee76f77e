--[[
  Renews the leader lease if this instance still holds it.

  Input:
    KEYS[1] leader lease key (value: JSON {instanceId, since, token})
    ARGV[1] lease token
    ARGV[2] lease duration (ms)

  Output: the new expiry (ms, Redis time), or 0 if the lease is someone else's or gone
]]
-- @include "now"

local v = redis.call('GET', KEYS[1])
if not v or cjson.decode(v).token ~= ARGV[1] then return 0 end
local now = nowMs()
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return now + tonumber(ARGV[2])
