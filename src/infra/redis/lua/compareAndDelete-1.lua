--[[
  Deletes a key only if it still holds the given value (lease and lock release).

  Input:
    KEYS[1] key
    ARGV[1] expected value

  Output: 1 if deleted, 0 otherwise
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
