--[[
  Removes seats from a schedule's "taken" filter, each only if its entry is still the one the
  caller compared with PostgreSQL (same score): an entry rewritten since then by a new hold or
  sale is left alone.

  Input:
    KEYS[1] the schedule's taken set (seat id -> held until, ms, or inf when sold)
    ARGV    seat id, score, seat id, score, ... (scores as ZRANGE WITHSCORES gave them)

  Output: the number of entries removed
]]
local removed = 0
for i = 1, #ARGV, 2 do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
