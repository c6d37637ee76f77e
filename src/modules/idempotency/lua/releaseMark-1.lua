--[[
  Takes back one mark of an Idempotency-Key (its request failed and released the key); the mark
  goes when none is left, so a request that changed nothing leaves nothing behind.

  Input:
    KEYS[1] the key's mark (a count)

  Output: the count left
]]
local left = redis.call('DECR', KEYS[1])
if left <= 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
return left
