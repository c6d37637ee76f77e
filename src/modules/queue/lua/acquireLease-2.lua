--[[
  Takes the leader lease if nobody holds it, with a new token from an ever-increasing epoch.

  Input:
    KEYS[1] leader lease key   (value: JSON {instanceId, since, token})
    KEYS[2] leader epoch key   (counter)
    ARGV[1] instance id
    ARGV[2] lease duration (ms)
    ARGV[3] random nonce

  Output: JSON {token, expiresAt} when taken, or {} when someone else holds it
]]
-- @include "now"

if redis.call('EXISTS', KEYS[1]) == 1 then return cjson.encode({}) end
local now = nowMs()
local epoch = redis.call('INCR', KEYS[2])
local token = epoch .. ':' .. ARGV[3]
redis.call('SET', KEYS[1], cjson.encode({ instanceId = ARGV[1], since = now, token = token }),
  'PX', tonumber(ARGV[2]))
return cjson.encode({ token = token, expiresAt = now + tonumber(ARGV[2]) })
