import { createHash } from 'node:crypto';

/** A Lua script and the SHA1 that EVALSHA knows it by. */
export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

export function luaScript(source: string): LuaScript {
  return Object.freeze({ source, sha1: createHash('sha1').update(source).digest('hex') });
}
