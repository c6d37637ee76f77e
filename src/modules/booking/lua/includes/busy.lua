-- The seats of seats[first..] that a hold cannot take now: refused by the schedule's "taken"
-- filter (held until later, or sold) or locked by a live lock. Returns {busy seat ids, the
-- tokens of the live locks found on them}.
local function busySeats(takenKey, locksKey, now, seats, first)
  local busy, holders = {}, {}
  for i = first, #seats do
    local seat = seats[i]
    local refused = false
    local takenUntil = redis.call('ZSCORE', takenKey, seat)
    if takenUntil and (takenUntil == 'inf' or tonumber(takenUntil) > now) then refused = true end
    local lock = redis.call('HGET', locksKey, seat)
    if lock then
      local sep = string.find(lock, '|', 1, true)
      if tonumber(string.sub(lock, 1, sep - 1)) > now then
        refused = true
        holders[#holders + 1] = string.sub(lock, sep + 1)
      end
    end
    if refused then busy[#busy + 1] = tonumber(seat) end
  end
  return busy, holders
end
