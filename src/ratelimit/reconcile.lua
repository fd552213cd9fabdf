--[[
reconcile.lua: after a Nango response, record the account's real limit (X-RateLimit-Limit) and compare what the
account has left in its window (X-RateLimit-Remaining) with what this bucket could still grant before that window
resets. Preceded by bucket-lib.lua (effectiveSize, loadBucket, currentRate, saveBucket). Time comes only from the
Redis server (TIME).

The bucket is sized from the smaller of the configured limit and the recorded account limit, so a configuration
above the account's limit cannot make every response look short. It grants at most budget in any window, so
(grants so far in the account's window) + tokens now + rate * (ms to reset) <= budget; while the rest of the account
keeps to the other (limit - budget), remaining >= that bound. `tolerance` (the bucket's capacity) absorbs requests
still in flight. When remaining falls short anyway, another client is spending: the bucket keeps what is left for
itself, paced evenly until the window resets (tokens cut to what is left, refill slowed to the rest over the time
to the reset), so the fleet slows in proportion to what is left. Only when nothing is left does it block until the
reset.

KEYS[1]  bucket hash (see token-bucket.lua)
KEYS[2]  blocked-until string (see block.lua)
KEYS[3]  account-limit string: the latest X-RateLimit-Limit; expires a day after the last response that reported it
ARGV[1]  configured: the configured limit, requests per window
ARGV[2]  share: fraction of the limit this bucket may spend, (0, 1]
ARGV[3]  windowMs: the length of Nango's rate-limit window, ms
ARGV[4]  remaining: X-RateLimit-Remaining
ARGV[5]  resetMs: earliest server epoch ms the window can reset (X-RateLimit-Reset * 1000; Nango floors it)
ARGV[6]  blockUntilMs: server epoch ms by which the window has surely reset (X-RateLimit-Reset * 1000 + 1000)
ARGV[7]  maxMs: no block or pace reaches further than now + maxMs
ARGV[8]  reportedLimit: X-RateLimit-Limit, or 0 when the response had none

Returns {nowUs, blockedUntilMs, short, previousLimit, accountLimit}
  nowUs           server time of the decision, epoch microseconds
  blockedUntilMs  the block now in force, server epoch ms; 0 when none
  short           1 when remaining fell short (this call paced or blocked the bucket), else 0
  previousLimit   the account limit recorded before this call; 0 when none
  accountLimit    the account limit recorded after this call; 0 when none
]]
local bucketKey = KEYS[1]
local blockedKey = KEYS[2]
local limitKey = KEYS[3]
local configured = tonumber(ARGV[1])
local share = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[3])
local remaining = tonumber(ARGV[4])
local resetMs = tonumber(ARGV[5])
local blockUntilMs = tonumber(ARGV[6])
local maxMs = tonumber(ARGV[7])
local reportedLimit = tonumber(ARGV[8])

local time = redis.call('TIME')
local nowUs = tonumber(time[1]) * 1000000 + tonumber(time[2])
local nowMs = nowUs / 1000

local previousLimit = tonumber(redis.call('GET', limitKey) or '0') or 0
local accountLimit = previousLimit
if reportedLimit > 0 then
  accountLimit = reportedLimit
  redis.call('SET', limitKey, string.format('%.0f', reportedLimit), 'PX', 86400000)
end

local capacity, ratePerMs = effectiveSize(configured, share, windowMs, accountLimit)
local tokens, lastMs, paceRate, paceUntilMs = loadBucket(bucketKey, nowMs, capacity, ratePerMs)
local horizonMs = math.min(math.max(0, resetMs - nowMs), maxMs)
local couldStillGrant = tokens + currentRate(nowMs, ratePerMs, paceRate, paceUntilMs) * horizonMs
local tolerance = capacity
local untilMs = math.ceil(math.min(blockUntilMs, nowMs + maxMs))

local currentMs = tonumber(redis.call('GET', blockedKey) or '0') or 0
local short = 0
if remaining <= 0 or remaining + tolerance < couldStillGrant then
  short = 1
  local available = remaining - tolerance
  if available < 1 then
    if untilMs > currentMs and untilMs > nowMs then
      redis.call('SET', blockedKey, string.format('%.0f', untilMs), 'PXAT', string.format('%.0f', untilMs))
      currentMs = untilMs
    end
  elseif untilMs > nowMs then
    -- Spread over the time to the reset: Nango floors X-RateLimit-Reset, so the true reset lies up to 1 s later;
    -- half of that is a fair guess, and every later response corrects the pace.
    local kept = math.min(tokens, available)
    saveBucket(bucketKey, kept, lastMs, (available - kept) / (horizonMs + 500), untilMs, capacity, ratePerMs)
  end
end
if currentMs <= nowMs then currentMs = 0 end
return {nowUs, currentMs, short, previousLimit, accountLimit}
