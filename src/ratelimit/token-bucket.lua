--[[
token-bucket.lua: take up to `requested` request tokens from one bucket shared by every process that spends the
same Nango account budget, unless the account is blocked. Preceded by bucket-lib.lua (effectiveSize, loadBucket).

Token bucket of `capacity` tokens refilled at `ratePerMs`: in any interval of w ms it grants at most
capacity + ratePerMs * w tokens. Both follow from the smaller of the configured limit and the account's real limit
(KEYS[3]), so a configured limit above the account's never oversizes the bucket. Time comes only from the Redis
server (TIME), so client clocks play no part. Requires effect replication (Redis >= 5, the only mode since 7)
because TIME is not deterministic.

KEYS[1]  bucket hash. Fields: `tokens` (float, tokens left after the last grant), `ts` (float, server epoch ms of
         that grant), `paceRate` and `paceUntil` (a lower refill rate until a server epoch ms, set by
         reconcile.lua). Expires once a full refill has elapsed: a missing bucket is a full bucket.
KEYS[2]  blocked-until string: server epoch ms (integer) before which nothing is granted. Written by block.lua
         and reconcile.lua; expires when the block ends.
KEYS[3]  account-limit string: the latest X-RateLimit-Limit (written by reconcile.lua). Read only.
         All keys must hash to the same Redis Cluster slot (share a {hash tag}).
ARGV[1]  configured: the configured limit, requests per window
ARGV[2]  share: fraction of the limit this bucket may spend, (0, 1]
ARGV[3]  windowMs: the length of Nango's rate-limit window, ms
ARGV[4]  requested: tokens wanted now, integer >= 1

Returns {granted, waitMs, nowUs, blockedUntilMs}
  granted         tokens granted now, 0..requested
  waitMs          when granted < requested: ms until the next token or until the block ends (>= 1); else 0
  nowUs           server time of this decision, epoch microseconds
  blockedUntilMs  the block in force, server epoch ms; 0 when none
]]
local bucketKey = KEYS[1]
local blockedKey = KEYS[2]
local limitKey = KEYS[3]
local configured = tonumber(ARGV[1])
local share = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[3])
local requested = tonumber(ARGV[4])

local time = redis.call('TIME')
local nowUs = tonumber(time[1]) * 1000000 + tonumber(time[2])
local nowMs = nowUs / 1000

local blockedUntilMs = tonumber(redis.call('GET', blockedKey) or '0') or 0
if blockedUntilMs > nowMs then
  return {0, math.max(1, math.ceil(blockedUntilMs - nowMs)), nowUs, blockedUntilMs}
end

local accountLimit = tonumber(redis.call('GET', limitKey) or '0') or 0
local capacity, ratePerMs = effectiveSize(configured, share, windowMs, accountLimit)
local tokens, lastMs, paceRate, paceUntilMs = loadBucket(bucketKey, nowMs, capacity, ratePerMs)

local granted = math.min(requested, math.floor(tokens))
if granted > 0 then
  saveBucket(bucketKey, tokens - granted, lastMs, paceRate, paceUntilMs, capacity, ratePerMs)
end

local waitMs = 0
if granted < requested then
  local missing = 1 - (tokens - granted)
  local rate = currentRate(nowMs, ratePerMs, paceRate, paceUntilMs)
  if rate > 0 then waitMs = missing / rate else waitMs = math.huge end
  -- A pace ends at paceUntil: ask again then, at the full rate.
  if paceUntilMs > nowMs then waitMs = math.min(waitMs, paceUntilMs - nowMs) end
  waitMs = math.max(1, math.ceil(waitMs))
end
return {granted, waitMs, nowUs, 0}
