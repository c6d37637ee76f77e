--[[
  Leader only. At saleOpensAt, moves the whole pre-queue ahead of every later arrival, in the
  order given: the provably fair order computed by the caller from the concert's secret seed
  (fairness.service.ts). Applied atomically with the reveal of that seed and order (meta
  'fairness'), so the seed is readable exactly when the shuffle has landed; and only if the order
  covers exactly the current pre-queue (otherwise the caller orders again from a fresh read).

  Input:
    KEYS[1] lease      this concert's copy of the leader lease
    KEYS[2] meta       hash: saleOpensAt, shuffled, fairness
    KEYS[3] prequeue   zset
    KEYS[4] waiting    zset: user -> ticket
    ARGV[1] leader lease token
    ARGV[2] the reveal: JSON {seed, order}
    ARGV[3..] the pre-queue's users, in their new order

  Output: JSON {fenced} | {done = 'already'|'early'|'stale'} | {done = 'shuffled', count}
]]
-- @include "now"
-- @include "fence"

local lease, meta, prequeue, waiting = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if fenced(lease, ARGV[1]) then return cjson.encode({ fenced = true }) end
if redis.call('HGET', meta, 'shuffled') == '1' then return cjson.encode({ done = 'already' }) end
local opens = tonumber(redis.call('HGET', meta, 'saleOpensAt'))
if not opens or nowMs() < opens then return cjson.encode({ done = 'early' }) end

local FIRST = 3
local count = #ARGV - FIRST + 1
if count ~= redis.call('ZCARD', prequeue) then return cjson.encode({ done = 'stale' }) end
local distinct = {}
for i = FIRST, #ARGV do
  local user = ARGV[i]
  if distinct[user] or not redis.call('ZSCORE', prequeue, user) then
    return cjson.encode({ done = 'stale' })
  end
  distinct[user] = true
end
-- Tickets 1..count: below every later arrival's ticket (LATE offset + entry id).
for i = FIRST, #ARGV, 500 do
  local args = {}
  for j = i, math.min(i + 499, #ARGV) do
    args[#args + 1] = j - FIRST + 1
    args[#args + 1] = ARGV[j]
  end
  redis.call('ZADD', waiting, unpack(args))
end
redis.call('DEL', prequeue)
redis.call('HSET', meta, 'shuffled', '1', 'fairness', ARGV[2])
return cjson.encode({ done = 'shuffled', count = count })
