--[[
  Ends a fan's entry, whatever its state: the fan left ('left') or paid ('completed').
  A waiting fan's ticket is recorded in `departures` so the next tick tells every instance that
  the fans behind moved up (until then they keep their places: see waitingPosition).

  Input:
    KEYS[1..10] meta, policy, prequeue, waiting, active, activeMax, eid, ended, seen, departures
                (as join-12)
    ARGV[1] user id
    ARGV[2] entry id from the queue token, or '' to end whatever entry the fan has
    ARGV[3] reason: 'left' | 'completed' | 'removed'

  Output: JSON {previous = prequeue|waiting|active|none}
]]
-- @include "endEntry"

local prequeue, waiting, active, activeMax, eidKey, ended, seen, departures =
  KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local user, tokenEid, reason = ARGV[1], ARGV[2], ARGV[3]

local eid = redis.call('HGET', eidKey, user)
if not eid or (tokenEid ~= '' and eid ~= tokenEid) then
  return cjson.encode({ previous = 'none' })
end

local previous = 'none'
if redis.call('ZREM', active, user) == 1 then
  redis.call('ZREM', activeMax, user)
  previous = 'active'
elseif redis.call('ZREM', prequeue, user) == 1 then
  previous = 'prequeue'
else
  local ticket = redis.call('ZSCORE', waiting, user)
  if ticket then
    redis.call('ZREM', waiting, user)
    redis.call('ZADD', departures, ticket, ticket)
    previous = 'waiting'
  end
end
redis.call('ZREM', seen, user)
endEntry(eidKey, ended, user, reason)
return cjson.encode({ previous = previous })
