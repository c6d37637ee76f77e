--[[
  Locks a hold's seats, all or none, in one round trip: a seat is busy when the schedule's
  "taken" filter refuses it (held until later, or sold) or another request's lock on it is live.
  A request refused here leaves nothing behind (no lock to release). Locks are fields of one hash
  per schedule, each carrying its own deadline (Redis server time), so a holder that crashed
  stops blocking its seats at that deadline; the hash itself expires after the last lock's.

  Input:
    KEYS[1] the schedule's taken set (seat id -> held until, ms, or inf when sold)
    KEYS[2] the schedule's seat locks (seat id -> "<deadline ms>|<token>")
    ARGV[1] this request's token ("<random>/<owner tag>")
    ARGV[2] lock lifetime (ms)
    ARGV[3..] seat ids, in seat order

  Output: {busy seat ids, tokens of the live locks found on them}; both empty = all locked
]]
-- @include "now"
-- @include "busy"
local now = nowMs()
local busy, holders = busySeats(KEYS[1], KEYS[2], now, ARGV, 3)
if #busy == 0 then
  local ttl = tonumber(ARGV[2])
  local value = (now + ttl) .. '|' .. ARGV[1]
  for i = 3, #ARGV do redis.call('HSET', KEYS[2], ARGV[i], value) end
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return {busy, holders}
