--[[
  Adds one mark of an Idempotency-Key (a request about to claim it) and keeps the mark for the
  retention period from now: one script call, not a pipeline of two commands.

  Input:
    KEYS[1] the key's mark (a count)
    ARGV[1] how long the mark lives (seconds)

  Output: the count
]]
local count = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return count
