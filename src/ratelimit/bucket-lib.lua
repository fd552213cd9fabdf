--[[
bucket-lib.lua: functions shared by token-bucket.lua and reconcile.lua; bucket-scripts.ts prepends this file to
each of them, so they size and refill a bucket the same way. Defines functions only: no KEYS, no ARGV, no calls.

effectiveSize(configured, share, windowMs, accountLimit) -> capacity, ratePerMs
  The bucket of `bucketSize()` in bucket-size.ts, for the smaller of the configured limit and the account's real
  limit (X-RateLimit-Limit, docs/nango-api.md 2; nil or 0 when none was reported):
  budget = max(2, floor(limit * share)); capacity = max(1, floor(5% of budget)); ratePerMs = (budget - capacity) / windowMs.

loadBucket(bucketKey, nowMs, capacity, ratePerMs) -> tokens, lastMs, paceRate, paceUntilMs
  The bucket hash (fields `tokens`, `ts`, `paceRate`, `paceUntil`) refilled up to nowMs. A missing hash is a full
  bucket. While `paceUntil` is ahead, the bucket refills at the lower of `paceRate` and `ratePerMs` (reconcile.lua
  sets a pace when another client spends the account's budget). A clock that stepped back refills nothing.

currentRate(nowMs, ratePerMs, paceRate, paceUntilMs) -> tokens per ms now
]]
local function effectiveSize(configured, share, windowMs, accountLimit)
  local limit = configured
  if accountLimit ~= nil and accountLimit > 0 and accountLimit < limit then limit = accountLimit end
  local budget = math.max(2, math.floor(limit * share))
  local capacity = math.max(1, math.floor(budget * 0.05))
  return capacity, (budget - capacity) / windowMs
end

local function currentRate(nowMs, ratePerMs, paceRate, paceUntilMs)
  if paceUntilMs > nowMs then return math.min(paceRate, ratePerMs) end
  return ratePerMs
end

local function loadBucket(bucketKey, nowMs, capacity, ratePerMs)
  local state = redis.call('HMGET', bucketKey, 'tokens', 'ts', 'paceRate', 'paceUntil')
  local storedTokens = tonumber(state[1])
  local storedMs = tonumber(state[2])
  local paceRate = tonumber(state[3]) or 0
  local paceUntilMs = tonumber(state[4]) or 0
  if not (storedTokens and storedMs) then return capacity, nowMs, 0, 0 end
  local elapsed = math.max(0, nowMs - storedMs)
  local paced = 0
  if paceUntilMs > storedMs then paced = math.min(elapsed, paceUntilMs - storedMs) end
  local gain = paced * math.min(paceRate, ratePerMs) + (elapsed - paced) * ratePerMs
  return math.min(capacity, storedTokens + gain), math.max(storedMs, nowMs), paceRate, paceUntilMs
end

local function saveBucket(bucketKey, tokens, lastMs, paceRate, paceUntilMs, capacity, ratePerMs)
  redis.call('HSET', bucketKey, 'tokens', tokens, 'ts', lastMs, 'paceRate', paceRate, 'paceUntil', paceUntilMs)
  -- Kept until a full refill has elapsed (a missing bucket is a full one) and any pace has ended.
  local ttlMs = math.max(math.ceil(capacity / ratePerMs) + 1000, math.ceil(paceUntilMs - lastMs) + 1000)
  redis.call('PEXPIRE', bucketKey, ttlMs)
end
