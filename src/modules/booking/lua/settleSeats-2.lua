--[[
  After a commit: updates the schedule's "taken" filter with what the commit changed and releases
  the committing request's seat locks, in that order and in one round trip (a request arriving in
  between sees the seat refused by one or the other, never neither).

  Input:
    KEYS[1] the schedule's taken set (seat id -> held until, ms, or inf when sold)
    KEYS[2] the schedule's seat locks (seat id -> "<deadline ms>|<token>")
    ARGV[1] the token whose locks to release ('' when none)
    ARGV[2] held seats' deadline (ms)
    ARGV[3] when the taken set may go (ms since the epoch: after its schedule started)
    ARGV[4..] pairs: kind, seat id; kind is 'free', 'held', 'sold' (filter) or 'unlock'

  Output: nil
]]
local written = false
for i = 4, #ARGV, 2 do
  local kind, seat = ARGV[i], ARGV[i + 1]
  if kind == 'free' then
    redis.call('ZREM', KEYS[1], seat)
  elseif kind == 'held' then
    redis.call('ZADD', KEYS[1], ARGV[2], seat)
    written = true
  elseif kind == 'sold' then
    redis.call('ZADD', KEYS[1], '+inf', seat)
    written = true
  elseif kind == 'unlock' then
    local lock = redis.call('HGET', KEYS[2], seat)
    if lock and string.sub(lock, string.find(lock, '|', 1, true) + 1) == ARGV[1] then
      redis.call('HDEL', KEYS[2], seat)
    end
  end
end
if written then redis.call('PEXPIREAT', KEYS[1], ARGV[3]) end
return false
