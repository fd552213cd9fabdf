--[[
release-lock.lua: delete a lock, but only for the holder that still owns it.

A holder whose lock expired, and was then taken by another, must not delete the other's lock: hence the token
check, atomic here.

KEYS[1]  the lock key
ARGV[1]  token: the value the holder set when it acquired the lock

Returns 1 when the lock was released; 0 when the key is gone or holds another token.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
