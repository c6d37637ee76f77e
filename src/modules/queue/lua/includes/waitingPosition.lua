-- Position of a waiting fan (1 = next to be admitted), or nil if not waiting.
-- Until the pre-queue has been shuffled into the line, all of its fans are ahead of every
-- waiting fan, so a fan's position never increases when the shuffle lands.
local function waitingPosition(metaKey, prequeueKey, waitingKey, user)
  local rank = redis.call('ZRANK', waitingKey, user)
  if not rank then return nil end
  local ahead = 0
  if redis.call('HGET', metaKey, 'shuffled') ~= '1' then
    ahead = redis.call('ZCARD', prequeueKey)
  end
  return ahead + rank + 1
end
