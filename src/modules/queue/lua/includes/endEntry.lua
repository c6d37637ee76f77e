-- Ends a fan's entry with a reason; the ended record lets status and the guard answer 410.
local ENDED_TTL_SECONDS = 86400
local function endEntry(eidKey, endedKey, user, reason)
  local eid = redis.call('HGET', eidKey, user)
  if not eid then return end
  redis.call('HDEL', eidKey, user)
  redis.call('HSET', endedKey, user, eid .. ':' .. reason)
  redis.call('EXPIRE', endedKey, ENDED_TTL_SECONDS)
end
