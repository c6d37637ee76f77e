--[[
  A fan's place in line (named entryStatus: `status` would shadow ioredis' own status property).
  Every call is a sign of life of a live entry (waiting or admitted); in 'guard' mode (a booking
  request) an active fan's idle deadline is also pushed back. An admission past its deadline is
  ended here (reason expired), without waiting for the leader's sweep.

  Input:
    KEYS[1..10] meta, policy, prequeue, waiting, active, activeMax, eid, ended, seen, departures
                (as join-12)
    ARGV[1] user id
    ARGV[2] entry id from the queue token
    ARGV[3] mode: 'status' | 'guard'
    ARGV[4] default activeIdleSeconds

  Output: JSON {state = prequeue|waiting|active|ended|none, position, rate, activeUntil, reason,
          tick, ticket, expiredNow}: a live entry's answer is exact as of admission tick `tick`;
          `ticket` is a waiting fan's order key in the line; `expiredNow` says this call ended an
          overdue admission. A live entry also has soldOut and heldSeats (the line's facts as of
          the last tick, see admit-9).
]]
-- @include "now"
-- @include "policy"
-- @include "waitingPosition"
-- @include "endEntry"
-- @include "overdue"
-- @include "lineFacts"

local meta, policy, prequeue, waiting, active, activeMax, eidKey, ended, seen, departures =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local user, tokenEid, mode = ARGV[1], ARGV[2], ARGV[3]
local now = nowMs()

local eid = redis.call('HGET', eidKey, user)
if eid ~= tokenEid then
  local record = redis.call('HGET', ended, user)
  if record and string.sub(record, 1, #tokenEid + 1) == tokenEid .. ':' then
    return cjson.encode({ state = 'ended', reason = string.sub(record, #tokenEid + 2) })
  end
  if eid or record then
    -- The token belongs to an earlier entry of this fan, which has ended.
    return cjson.encode({ state = 'ended', reason = 'replaced' })
  end
  return cjson.encode({ state = 'none' })
end

local tick = tonumber(redis.call('HGET', meta, 'tick') or '0')
local idle = redis.call('ZSCORE', active, user)
if idle then
  local hard = tonumber(redis.call('ZSCORE', activeMax, user) or idle)
  idle = tonumber(idle)
  if endIfOverdue(active, activeMax, eidKey, ended, seen, user, idle, hard, now) then
    return cjson.encode({ state = 'ended', reason = 'expired', expiredNow = true })
  end
  redis.call('ZADD', seen, now, user)
  if mode == 'guard' then
    local extended = math.min(now + policyNumber(policy, 'activeIdleSeconds', ARGV[4]) * 1000, hard)
    if extended > idle then
      redis.call('ZADD', active, 'XX', extended, user)
      idle = extended
    end
  end
  return withLineFacts(meta, { state = 'active', activeUntil = math.min(idle, hard), tick = tick })
end

redis.call('ZADD', seen, 'XX', now, user)
if redis.call('ZSCORE', prequeue, user) then
  return withLineFacts(meta, { state = 'prequeue', position = redis.call('ZCARD', prequeue), tick = tick })
end
local position, ticket = waitingPosition(meta, prequeue, waiting, departures, user)
return withLineFacts(meta, { state = 'waiting', position = position,
    rate = tonumber(redis.call('HGET', meta, 'ewma')), tick = tick, ticket = ticket })
