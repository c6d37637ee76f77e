--[[
  Joins a fan to a concert's line, idempotently per (user, concert), after counting the join
  against its rate limits (per user and per address, in this concert's slot): limits and join are
  one Redis call.

  Input:
    KEYS[1] meta       hash: saleOpensAt, shuffled, seq
    KEYS[2] policy     hash: per-concert overrides
    KEYS[3] prequeue   zset: user -> entry id (joined before the sale opened)
    KEYS[4] waiting    zset: user -> ticket (pre-queue shuffled to 1..K, later arrivals LATE + id)
    KEYS[5] active     zset: user -> idle deadline (ms)
    KEYS[6] activeMax  zset: user -> hard deadline (ms)
    KEYS[7] eid        hash: user -> entry id of the live entry
    KEYS[8] ended      hash: user -> "<entry id>:<reason>"
    KEYS[9] seen       zset: user -> last sign of life (ms)
    KEYS[10] departures zset: tickets of waiting fans gone since the last tick (not admitted)
    KEYS[11] join limit counter of the user (string, expires with its window)
    KEYS[12] join limit counter of the address
    KEYS[13] used-nonce key of the join challenge given (a dummy name when none was)
    ARGV[1] user id
    ARGV[2] saleOpensAt (ms since epoch)
    ARGV[3] default maxWaiting
    ARGV[4] LATE offset added to the tickets of fans arriving after the sale opened
    ARGV[5] points per window of the user's limit (0: no limit)
    ARGV[6] the user's window (ms)
    ARGV[7] points per window of the address' limit (0: no limit)
    ARGV[8] the address' window (ms)
    ARGV[9] proof: leading zero bits of the challenge's solution, -1 none given, -2 invalid
            (forged, another user's, expired: checked by the caller, join-challenges.crypto.ts)
    ARGV[10] how long a used nonce is remembered (ms)

  A fan already in line re-joins without a challenge. A new place, when the policy's
  challengeBits > 0, needs a proof of at least that many bits whose nonce was not used before.

  Over a limit nothing else happens (the address is not counted when the user is refused).

  An admission past its deadline ends here (reason expired) and the fan joins anew.

  Output: JSON {created, state = prequeue|waiting|active|full|closed (retired or closed)|limited
          |challengeRequired|challengeFailed (with bits, reason),
          eid, position, rate, activeUntil, expiredNow (an overdue admission of this fan ended), retryAfterMs (limited),
          soldOut, heldSeats (a live entry: the line's facts as of the last tick, see admit-9)}
          (rate: measured admissions per second, absent until known; position exact as of the
          last tick, see waitingPosition)
]]
-- @include "now"
-- @include "policy"
-- @include "waitingPosition"
-- @include "endEntry"
-- @include "overdue"
-- @include "rateLimit"
-- @include "lineFacts"

local meta, policy, prequeue, waiting, active, activeMax, eidKey, ended, seen, departures =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local user = ARGV[1]
local limited = overLimit(KEYS[11], tonumber(ARGV[5]), tonumber(ARGV[6]))
  or overLimit(KEYS[12], tonumber(ARGV[7]), tonumber(ARGV[8]))
if limited then return cjson.encode({ state = 'limited', retryAfterMs = limited }) end
local now = nowMs()
-- A retired line (retire-12) or one operators closed (closeLine-10): whatever a cached sale window
-- says, nobody joins any more.
local over = redis.call('HMGET', meta, 'retired', 'closed')
if over[1] == '1' or over[2] == '1' then return cjson.encode({ state = 'closed' }) end
redis.call('HSETNX', meta, 'saleOpensAt', ARGV[2])

local eid = redis.call('HGET', eidKey, user)
local expiredNow = false
local idle = eid and redis.call('ZSCORE', active, user)
if idle then
  local hard = tonumber(redis.call('ZSCORE', activeMax, user) or idle)
  idle = tonumber(idle)
  expiredNow = endIfOverdue(active, activeMax, eidKey, ended, seen, user, idle, hard, now)
  if expiredNow then
    eid = nil
  else
    redis.call('ZADD', seen, now, user)
    return withLineFacts(meta, { created = false, state = 'active', eid = tonumber(eid),
      activeUntil = math.min(idle, hard) })
  end
end
if eid then
  redis.call('ZADD', seen, 'XX', now, user)
  if redis.call('ZSCORE', prequeue, user) then
    return withLineFacts(meta, { created = false, state = 'prequeue', eid = tonumber(eid),
      position = redis.call('ZCARD', prequeue) })
  end
  return withLineFacts(meta, { created = false, state = 'waiting', eid = tonumber(eid),
    position = waitingPosition(meta, prequeue, waiting, departures, user),
    rate = tonumber(redis.call('HGET', meta, 'ewma')) })
end

local maxWaiting = policyNumber(policy, 'maxWaiting', ARGV[3])
if redis.call('ZCARD', waiting) + redis.call('ZCARD', prequeue) >= maxWaiting then
  return cjson.encode({ created = false, state = 'full', rate = tonumber(redis.call('HGET', meta, 'ewma')),
    expiredNow = expiredNow })
end

local challengeBits = policyNumber(policy, 'challengeBits', 0)
if challengeBits > 0 then
  local proof = tonumber(ARGV[9])
  if proof == -1 then
    return cjson.encode({ state = 'challengeRequired', bits = challengeBits, expiredNow = expiredNow })
  end
  local reason = nil
  if proof < 0 then reason = 'invalid'
  elseif proof < challengeBits then reason = 'too few zero bits'
  elseif not redis.call('SET', KEYS[13], user, 'NX', 'PX', tonumber(ARGV[10])) then reason = 'used' end
  if reason then
    return cjson.encode({ state = 'challengeFailed', bits = challengeBits, reason = reason,
      expiredNow = expiredNow })
  end
end

local newEid = redis.call('HINCRBY', meta, 'seq', 1)
redis.call('HSET', eidKey, user, newEid)
redis.call('HDEL', ended, user)
redis.call('ZADD', seen, now, user)
local saleOpensAt = tonumber(redis.call('HGET', meta, 'saleOpensAt'))
if now < saleOpensAt and redis.call('HGET', meta, 'shuffled') ~= '1' then
  redis.call('ZADD', prequeue, newEid, user)
  return withLineFacts(meta, { created = true, state = 'prequeue', eid = newEid,
    position = redis.call('ZCARD', prequeue), expiredNow = expiredNow })
end
redis.call('ZADD', waiting, tonumber(ARGV[4]) + newEid, user)
return withLineFacts(meta, { created = true, state = 'waiting', eid = newEid,
  position = waitingPosition(meta, prequeue, waiting, departures, user),
  rate = tonumber(redis.call('HGET', meta, 'ewma')), expiredNow = expiredNow })
