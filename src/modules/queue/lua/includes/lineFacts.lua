-- A live entry's answer with the line's sold-out facts (SPEC §2), as the leader's last tick left
-- them in `meta` (admit-9.lua): read inside the status or join call, never a call of its own.
local function withLineFacts(meta, answer)
  local facts = redis.call('HMGET', meta, 'soldOut', 'heldSeats')
  answer.soldOut = facts[1] == '1'
  answer.heldSeats = tonumber(facts[2] or '0')
  return cjson.encode(answer)
end
