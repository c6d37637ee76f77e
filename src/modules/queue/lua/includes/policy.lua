-- A per-concert policy value: the override in the policy hash, else the configured default.
local function policyNumber(policyKey, field, default)
  local v = redis.call('HGET', policyKey, field)
  if v then return tonumber(v) end
  return tonumber(default)
end
