--[[
reconcile.lua: compare what a Nango response says the account has left in its window (X-RateLimit-Remaining)
with what this bucket could still grant before that window resets. If the account has less (someone outside
this fleet is spending, or the plan's limit is lower than configured), block until the window resets.
Time comes only from the Redis server (TIME).

Why no false alarms: the bucket grants at most capacity + ratePerMs * 60 000 = budget in any 60 s window, so
(grants so far in the account's window) + tokens now + ratePerMs * (ms to reset) <= budget. While the rest of
the account keeps to the other (limit - budget), remaining >= that bound. `tolerance` absorbs requests still in
flight across the window's start.

KEYS[1]  bucket hash (fields `tokens`, `ts`; see token-bucket.lua). Read only.
KEYS[2]  blocked-until string (see block.lua).
ARGV[1]  capacity: bucket size in tokens
ARGV[2]  ratePerMs: refill rate, tokens per ms
ARGV[3]  remaining: X-RateLimit-Remaining
ARGV[4]  resetMs: earliest server epoch ms the window can reset (X-RateLimit-Reset * 1000; Nango floors it)
ARGV[5]  blockUntilMs: server epoch ms to block until when short (X-RateLimit-Reset * 1000 + 1000)
ARGV[6]  tolerance: tokens by which remaining may fall short before blocking
ARGV[7]  maxMs: no block reaches further than now + maxMs

Returns {nowUs, blockedUntilMs, short}
  nowUs           server time of the decision, epoch microseconds
  blockedUntilMs  the block now in force, server epoch ms; 0 when none
  short           1 when remaining fell short and this call blocked (or kept a longer block), else 0
]]
local bucketKey = KEYS[1]
local blockedKey = KEYS[2]
local capacity = tonumber(ARGV[1])
local ratePerMs = tonumber(ARGV[2])
local remaining = tonumber(ARGV[3])
local resetMs = tonumber(ARGV[4])
local blockUntilMs = tonumber(ARGV[5])
local tolerance = tonumber(ARGV[6])
local maxMs = tonumber(ARGV[7])

local time = redis.call('TIME')
local nowUs = tonumber(time[1]) * 1000000 + tonumber(time[2])
local nowMs = nowUs / 1000

local state = redis.call('HMGET', bucketKey, 'tokens', 'ts')
local tokens = capacity
local storedTokens = tonumber(state[1])
local storedMs = tonumber(state[2])
if storedTokens and storedMs then
  tokens = math.min(capacity, storedTokens + math.max(0, nowMs - storedMs) * ratePerMs)
end
local horizonMs = math.min(math.max(0, resetMs - nowMs), maxMs)
local couldStillGrant = tokens + ratePerMs * horizonMs

local currentMs = tonumber(redis.call('GET', blockedKey) or '0') or 0
local short = 0
if remaining <= 0 or remaining + tolerance < couldStillGrant then
  short = 1
  local targetMs = math.ceil(math.min(blockUntilMs, nowMs + maxMs))
  if targetMs > currentMs and targetMs > nowMs then
    redis.call('SET', blockedKey, string.format('%.0f', targetMs), 'PXAT', string.format('%.0f', targetMs))
    currentMs = targetMs
  end
end
if currentMs <= nowMs then currentMs = 0 end
return {nowUs, currentMs, short}
