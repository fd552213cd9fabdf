--[[
extend-lock.lua: renew a lock's expiry, but only for the holder that still owns it.

A lock is a string key whose value is the holder's token (set with SET key token NX PX ttl). A holder whose lock
expired, and was then taken by another, must not renew the other's lock: hence the token check, atomic here.

KEYS[1]  the lock key
ARGV[1]  token: the value the holder set when it acquired the lock
ARGV[2]  ttlMs: the new expiry, milliseconds from now (integer >= 1)

Returns 1 when the lock was renewed; 0 when the key is gone or holds another token (the lock was lost).
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
