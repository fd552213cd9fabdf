--[[
block.lua: stop every process that shares a bucket from being granted tokens until a server time: after a 429,
for Retry-After seconds or until X-RateLimit-Reset. Blocks only ever lengthen: the later of the current
blocked-until and the new one wins. Time comes only from the Redis server (TIME).

KEYS[1]  blocked-until string: server epoch ms (integer); expires then (SET PXAT, Redis >= 6.2). Read by
         token-bucket.lua.
ARGV[1]  mode: 'for' (ARGV[2] is a duration in ms from now) or 'until' (ARGV[2] is a server epoch ms)
ARGV[2]  ms, as ARGV[1] says
ARGV[3]  maxMs: no block reaches further than now + maxMs (a bogus header cannot stall the fleet for long)

Returns {nowUs, blockedUntilMs}
  nowUs           server time of the decision, epoch microseconds
  blockedUntilMs  the block now in force, server epoch ms; 0 when none (a target already in the past)
]]
local blockedKey = KEYS[1]
local mode = ARGV[1]
local ms = tonumber(ARGV[2])
local maxMs = tonumber(ARGV[3])

local time = redis.call('TIME')
local nowUs = tonumber(time[1]) * 1000000 + tonumber(time[2])
local nowMs = nowUs / 1000

local targetMs = ms
if mode == 'for' then targetMs = nowMs + ms end
targetMs = math.ceil(math.min(targetMs, nowMs + maxMs))

local currentMs = tonumber(redis.call('GET', blockedKey) or '0') or 0
if targetMs > currentMs and targetMs > nowMs then
  redis.call('SET', blockedKey, string.format('%.0f', targetMs), 'PXAT', string.format('%.0f', targetMs))
  currentMs = targetMs
end
if currentMs <= nowMs then currentMs = 0 end
return {nowUs, currentMs}
