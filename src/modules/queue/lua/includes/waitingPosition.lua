-- Position of a waiting fan (1 = next to be admitted) exact as of the line's last tick, and its
-- ticket; nil if not waiting. Fans behind move up only at a tick: the tickets of fans who left
-- since the last tick (`departures`, handed out with the next tick) still count as ahead of it.
-- This answer with the next tick's delta (admitted, departed) gives that tick's position; a live
-- rank would count such a leave twice (SPEC §5: exact as of its tick).
-- Until the pre-queue has been shuffled into the line, all of its fans are ahead of every
-- waiting fan, so a fan's position never increases when the shuffle lands.
local function waitingPosition(metaKey, prequeueKey, waitingKey, departuresKey, user)
  local ticket = redis.call('ZSCORE', waitingKey, user)
  if not ticket then return nil end
  local ahead = redis.call('ZRANK', waitingKey, user)
    + redis.call('ZCOUNT', departuresKey, '-inf', '(' .. ticket)
  if redis.call('HGET', metaKey, 'shuffled') ~= '1' then
    ahead = ahead + redis.call('ZCARD', prequeueKey)
  end
  return ahead + 1, tonumber(ticket)
end
