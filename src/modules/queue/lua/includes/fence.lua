-- Fencing: leader-only writes carry the leader's lease token. This concert's copy of the lease
-- holds "<token>|<lease expiry in Redis time>", written by the leader right after it renewed the
-- lease. A write is refused unless the copy holds the caller's token and the lease it was copied
-- from is still unexpired by Redis' own clock: a paused or partitioned former leader, even one
-- that rewrites the copy after waking up, cannot write once its lease ran out.
-- (Needs nowMs from the "now" include.)
local function fenced(leaseKey, token)
  local v = redis.call('GET', leaseKey)
  if not v then return true end
  local sep = string.find(v, '|', 1, true)
  if not sep or string.sub(v, 1, sep - 1) ~= token then return true end
  return nowMs() >= tonumber(string.sub(v, sep + 1))
end
