--[[
  Which of a hold's seats are busy right now, without locking anything: lockSeats' test alone.
  Sent in the same round trip as the fan's admission check (another hash slot, so another call),
  before the admission is known: a seat storm's refusals, nearly all of its requests, are then
  answered after one round trip to Redis instead of two. Seats found free are locked by lockSeats
  afterwards, which tests them again.

  Input:
    KEYS[1] the schedule's taken set (seat id -> held until, ms, or inf when sold)
    KEYS[2] the schedule's seat locks (seat id -> "<deadline ms>|<token>")
    ARGV    seat ids

  Output: {busy seat ids, tokens of the live locks found on them}; both empty = none busy
]]
-- @include "now"
-- @include "busy"
local busy, holders = busySeats(KEYS[1], KEYS[2], nowMs(), ARGV, 1)
return {busy, holders}
