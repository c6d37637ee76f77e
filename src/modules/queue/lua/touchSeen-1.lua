--[[
  Marks many fans (waiting or admitted) as alive at once (their sockets are connected to this
  instance): one call per concert per interval, however many fans, instead of one per fan.
  Fans whose entry has ended are not in `seen` and stay out.

  Input:
    KEYS[1] seen   zset: user -> last sign of life (ms)
    ARGV[1..] user ids

  Output: how many of them were still in line (and so updated)
]]
-- @include "now"

local now = nowMs()
local updated = 0
for i = 1, #ARGV, 500 do
  local args = { 'XX', 'CH' }
  for j = i, math.min(i + 499, #ARGV) do
    args[#args + 1] = now
    args[#args + 1] = ARGV[j]
  end
  updated = updated + redis.call('ZADD', KEYS[1], unpack(args))
end
return updated
