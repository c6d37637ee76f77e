-- Ends an admission whose idle or hard deadline has passed, as the leader's sweep (expireActive)
-- would: whoever reads an admission must not trust it past its deadline, since the sweep may not
-- be running (failover, a stopped leader still holding its lease). Returns true if it ended one;
-- the caller then tells the fan (queue:ended, reason expired).
-- (Needs the endEntry include.)
local function endIfOverdue(active, activeMax, eidKey, ended, seen, user, idle, hard, now)
  if math.min(idle, hard) >= now then return false end
  redis.call('ZREM', active, user)
  redis.call('ZREM', activeMax, user)
  redis.call('ZREM', seen, user)
  endEntry(eidKey, ended, user, 'expired')
  return true
end
