--[[
take-over-lock.lua: take a lock from a holder known to be dead, but only if that holder still has it.

A process that finds a lock held by a process of its own machine that no longer exists (see holderProcessState)
takes the lock at once rather than waiting for it to expire. It read the dead holder's token first; between that
read and this script, the lock may have expired and been taken by a live process, or taken over by another
process that saw the same dead holder: hence the compare-and-set on the token, atomic here.

KEYS[1]  the lock key
ARGV[1]  deadToken: the dead holder's token, as read
ARGV[2]  token: the taker's new token
ARGV[3]  ttlMs: the expiry of the new holding, milliseconds from now (integer >= 1)

Returns 1 when the lock now holds `token`; 0 when the key is gone or holds another token than `deadToken`.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
