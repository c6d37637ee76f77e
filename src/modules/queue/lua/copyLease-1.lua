--[[
  Leader only. Copies the leader lease into one concert's hash slot (the fencing scripts check
  the copy, since Cluster scripts cannot read the lease key in another slot). Refuses to replace
  a copy of a lease that expires later: a former leader waking up cannot displace the current
  leader's copy, only write one that is already out of date.

  Input:
    KEYS[1] this concert's lease copy ("<token>|<expiresAt>")
    ARGV[1] lease token
    ARGV[2] lease expiry (ms, Redis time)
    ARGV[3] TTL of the copy (ms; clean-up only, validity is the expiry inside)

  Output: 1 if written, 0 if a later lease's copy is already there
]]
local current = redis.call('GET', KEYS[1])
if current then
  local sep = string.find(current, '|', 1, true)
  if sep and tonumber(string.sub(current, sep + 1)) > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'PX', tonumber(ARGV[3]))
return 1
