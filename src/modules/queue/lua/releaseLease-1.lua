--[[
  Gives up the leader lease (graceful shutdown) so another instance takes over at once.

  Input:
    KEYS[1] leader lease key
    ARGV[1] lease token

  Output: 1 if released, 0 if it was not ours
]]
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).token == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
