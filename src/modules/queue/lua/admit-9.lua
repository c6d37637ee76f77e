--[[
  Leader only. One admission tick for one concert: admits the head of the line, as many as
  min(free slots under maxActive, what the admitPerMinute token bucket allows, seats left for new
  fans), and measures the admission rate (EWMA) for wait estimates. Also drains `departures` so
  the caller can tell every instance which tickets left the line since the last tick (ascending).

  Seats left for new fans (SPEC §2 "Sold-out awareness"): every admitted fan who holds nothing yet
  claims one available seat (it can buy at least one), an admitted fan who holds seats needs none
  (it can buy those), so room = max(0, available - (active - admitted fans holding)). The active
  set never has more fans holding nothing than there are available seats, and seats that come back
  (an expired, canceled or refunded hold) admit at most that many fans. The line's facts (soldOut =
  no seat available on a schedule on sale, heldSeats) are kept in `meta` for every status read.

  Input:
    KEYS[1] lease      this concert's copy of the leader lease
    KEYS[2] meta       hash: saleOpensAt, shuffled, bucket, bucketAt, ewma, ewmaAt, admittedTotal, tick
    KEYS[3] policy     hash: overrides (maxActive, admitPerMinute, activeIdleSeconds, activeMaxSeconds, paused)
    KEYS[4] prequeue   zset
    KEYS[5] waiting    zset: user -> ticket
    KEYS[6] active     zset: user -> idle deadline (ms)
    KEYS[7] activeMax  zset: user -> hard deadline (ms)
    KEYS[8] seen       zset: user -> last sign of life (an admission starts one)
    KEYS[9] departures zset: tickets of waiting fans gone since the last tick (score = ticket)
    ARGV[1] leader lease token
    ARGV[2..5] defaults: maxActive, admitPerMinute, activeIdleSeconds, activeMaxSeconds
    ARGV[6] most departures listed (more: `departed` is false and fans re-read their places)
    ARGV[7] seats: 'counted' (ARGV[8..] apply) | 'none' (no schedule on sale: seats bound nothing)
            | 'unknown' (PostgreSQL unreadable: nobody is admitted, the last facts stand)
    ARGV[8] seats available on the concert's schedules on sale (lapsed holds included)
    ARGV[9] seats held (live holds)
    ARGV[10..] admitted fans PostgreSQL saw holding seats of this concert (checked against `active`)

  Output: JSON {fenced} or {tick, at (Redis time, ms), needsShuffle, admitted = [[user, ticket, activeUntil], ...],
          departed = [ticket, ...] | false, waiting, prequeue, active, ratePerSecond, soldOut, heldSeats}
]]
-- @include "now"
-- @include "fence"
-- @include "policy"

local lease, meta, policy, prequeue, waiting, active, activeMax, seen, departures =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
if fenced(lease, ARGV[1]) then return cjson.encode({ fenced = true }) end
local now = nowMs()

local maxActive = policyNumber(policy, 'maxActive', ARGV[2])
local perMinute = policyNumber(policy, 'admitPerMinute', ARGV[3])
local idleMs = policyNumber(policy, 'activeIdleSeconds', ARGV[4]) * 1000
local maxMs = policyNumber(policy, 'activeMaxSeconds', ARGV[5]) * 1000
local paused = redis.call('HGET', policy, 'paused') == '1'

local departedCount = redis.call('ZCARD', departures)
local departed = {}
if departedCount > tonumber(ARGV[6]) then
  departed = false
elseif departedCount > 0 then
  departed = redis.call('ZRANGE', departures, 0, -1)
  for i = 1, #departed do departed[i] = tonumber(departed[i]) end
end
if departedCount > 0 then redis.call('DEL', departures) end

local shuffled = redis.call('HGET', meta, 'shuffled') == '1'
-- The sale time arrives with the first join; until then nothing is known, so nothing moves.
local opens = tonumber(redis.call('HGET', meta, 'saleOpensAt'))
local open = (not shuffled) and opens ~= nil and now >= opens
if open and redis.call('ZCARD', prequeue) == 0 then
  -- Nobody came early (and nobody can join the pre-queue any more): nothing to shuffle, and no
  -- instance needs to re-read its fans as after a shuffle.
  redis.call('HSET', meta, 'shuffled', '1')
  shuffled, open = true, false
end
local needsShuffle = open

-- Token bucket: refills at perMinute, holds at most one tick's worth (at least 1).
local capacity = math.max(1, math.ceil(perMinute / 60))
local bucket = tonumber(redis.call('HGET', meta, 'bucket') or capacity)
local bucketAt = tonumber(redis.call('HGET', meta, 'bucketAt') or now)
bucket = math.min(capacity, bucket + (now - bucketAt) * perMinute / 60000)

-- Seats left for new fans (see the header), and the facts every waiting fan is told.
local seats, room = ARGV[7], math.huge
local soldOut, heldSeats
if seats == 'counted' then
  local available = tonumber(ARGV[8])
  local holding = 0
  for i = 10, #ARGV do
    if redis.call('ZSCORE', active, ARGV[i]) then holding = holding + 1 end
  end
  room = math.max(0, available - (redis.call('ZCARD', active) - holding))
  soldOut, heldSeats = available <= 0, tonumber(ARGV[9])
elseif seats == 'none' then
  soldOut, heldSeats = false, 0
else
  room = 0
  local last = redis.call('HMGET', meta, 'soldOut', 'heldSeats')
  soldOut, heldSeats = last[1] == '1', tonumber(last[2] or '0')
end
redis.call('HSET', meta, 'soldOut', soldOut and '1' or '0', 'heldSeats', heldSeats)

local waitingCount = redis.call('ZCARD', waiting)
local admitted = {}
if shuffled and not paused and waitingCount > 0 then
  local free = maxActive - redis.call('ZCARD', active)
  local n = math.min(free, math.floor(bucket), waitingCount, room)
  if n > 0 then
    local popped = redis.call('ZPOPMIN', waiting, n)
    for i = 1, #popped, 2 do
      local user, ticket = popped[i], tonumber(popped[i + 1])
      local idleUntil, hardUntil = now + idleMs, now + maxMs
      redis.call('ZADD', active, idleUntil, user)
      redis.call('ZADD', activeMax, hardUntil, user)
      -- From now on signs of life keep the admission (removeAbandoned).
      redis.call('ZADD', seen, now, user)
      admitted[#admitted + 1] = { user, ticket, math.min(idleUntil, hardUntil) }
    end
    bucket = bucket - #admitted
    redis.call('HINCRBY', meta, 'admittedTotal', #admitted)
  end
end
redis.call('HSET', meta, 'bucket', bucket, 'bucketAt', now)

-- Admission rate: an EWMA over ticks that had fans waiting, were not paused and had seats for
-- them (an idle, paused or sold-out line says nothing about how fast the line moves).
local ewma = redis.call('HGET', meta, 'ewma')
local ewmaAt = tonumber(redis.call('HGET', meta, 'ewmaAt') or now)
if shuffled and not paused and waitingCount > 0 and room > 0 and now > ewmaAt then
  local sample = #admitted * 1000 / (now - ewmaAt)
  if ewma then ewma = 0.7 * tonumber(ewma) + 0.3 * sample elseif #admitted > 0 then ewma = sample end
  if ewma then redis.call('HSET', meta, 'ewma', ewma) end
end
redis.call('HSET', meta, 'ewmaAt', now)

local tick = redis.call('HINCRBY', meta, 'tick', 1)
return cjson.encode({
  tick = tick,
  at = now,
  needsShuffle = needsShuffle,
  admitted = admitted,
  departed = departed,
  waiting = redis.call('ZCARD', waiting),
  prequeue = redis.call('ZCARD', prequeue),
  active = redis.call('ZCARD', active),
  ratePerSecond = ewma and tonumber(ewma) or cjson.null,
  soldOut = soldOut,
  heldSeats = heldSeats,
})
