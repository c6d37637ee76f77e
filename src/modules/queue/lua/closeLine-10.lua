--[[
  Operators close a line (POST /admin/concerts/:id/queue/close): every waiting and pre-queue
  place ends (reason 'closed') and the line refuses joins from now on (meta 'closed'). Admitted
  fans keep their admission and may finish buying. Not leader work: one atomic step, so no
  tick, shuffle or join can interleave with it.

  Input:
    KEYS[1..10] meta, policy, prequeue, waiting, active, activeMax, eid, ended, seen, departures
                (as join-12)

  Output: JSON {ended = [user, ...]} (the fans whose place this ended)
]]
-- @include "endEntry"

local meta, prequeue, waiting, eidKey, ended, seen, departures =
  KEYS[1], KEYS[3], KEYS[4], KEYS[7], KEYS[8], KEYS[9], KEYS[10]

local users = {}
for _, key in ipairs({ waiting, prequeue }) do
  for _, user in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    endEntry(eidKey, ended, user, 'closed')
    redis.call('ZREM', seen, user)
    users[#users + 1] = user
  end
end
redis.call('DEL', prequeue, waiting, departures)
redis.call('HSET', meta, 'closed', '1')
return cjson.encode({ ended = users })
