--[[
token-bucket.lua: take up to `requested` request tokens from one bucket shared by every process that spends the
same Nango account budget, unless the account is blocked.

Token bucket of `capacity` tokens refilled at `ratePerMs`: in any interval of w ms it grants at most
capacity + ratePerMs * w tokens. Time comes only from the Redis server (TIME), so client clocks play no part.
Requires effect replication (Redis >= 5, the only mode since 7) because TIME is not deterministic.

KEYS[1]  bucket hash. Fields: `tokens` (float, tokens left after the last grant) and `ts` (float, server epoch
         ms of that grant). Expires once a full refill has elapsed: a missing bucket is a full bucket.
KEYS[2]  blocked-until string: server epoch ms (integer) before which nothing is granted. Written by block.lua
         and reconcile.lua; expires when the block ends.
         Both keys must hash to the same Redis Cluster slot (share a {hash tag}).
ARGV[1]  capacity: bucket size in tokens (the burst), integer >= 1
ARGV[2]  ratePerMs: refill rate, tokens per ms, > 0
ARGV[3]  requested: tokens wanted now, integer >= 1

Returns {granted, waitMs, nowUs, blockedUntilMs}
  granted         tokens granted now, 0..requested
  waitMs          when granted < requested: ms until the next token or until the block ends (>= 1); else 0
  nowUs           server time of this decision, epoch microseconds
  blockedUntilMs  the block in force, server epoch ms; 0 when none
]]
local bucketKey = KEYS[1]
local blockedKey = KEYS[2]
local capacity = tonumber(ARGV[1])
local ratePerMs = tonumber(ARGV[2])
local requested = tonumber(ARGV[3])

local time = redis.call('TIME')
local nowUs = tonumber(time[1]) * 1000000 + tonumber(time[2])
local nowMs = nowUs / 1000

local blockedUntilMs = tonumber(redis.call('GET', blockedKey) or '0') or 0
if blockedUntilMs > nowMs then
  return {0, math.max(1, math.ceil(blockedUntilMs - nowMs)), nowUs, blockedUntilMs}
end

local state = redis.call('HMGET', bucketKey, 'tokens', 'ts')
local tokens = capacity
local lastMs = nowMs
local storedTokens = tonumber(state[1])
local storedMs = tonumber(state[2])
if storedTokens and storedMs then
  -- If the server clock stepped back, refill nothing and keep the later timestamp (never over-grant).
  lastMs = math.max(storedMs, nowMs)
  tokens = math.min(capacity, storedTokens + math.max(0, nowMs - storedMs) * ratePerMs)
end

local granted = math.min(requested, math.floor(tokens))
if granted > 0 then
  redis.call('HSET', bucketKey, 'tokens', tokens - granted, 'ts', lastMs)
  redis.call('PEXPIRE', bucketKey, math.ceil(capacity / ratePerMs) + 1000)
end

local waitMs = 0
if granted < requested then
  waitMs = math.max(1, math.ceil((1 - (tokens - granted)) / ratePerMs))
end
return {granted, waitMs, nowUs, 0}
