-- Fixed-window rate limit counted inside a script, so a request's limits and its work are one
-- Redis call (same counting as rate-limiter-flexible's RateLimiterRedis: the window starts at
-- the first point and every attempt counts, refused ones too). `points` 0 means no limit.
-- Returns nil when the point fits, else the milliseconds until the window ends (>= 1).
local function overLimit(key, points, durationMs)
  if points <= 0 then return nil end
  local used = redis.call('INCR', key)
  if used == 1 then
    redis.call('PEXPIRE', key, durationMs)
    return nil
  end
  if used <= points then return nil end
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    -- A counter without expiry would refuse forever: give it its window.
    redis.call('PEXPIRE', key, durationMs)
    ttl = durationMs
  end
  return math.max(1, ttl)
end
