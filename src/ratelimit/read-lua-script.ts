import { readFileSync } from 'node:fs';

/**
 * Reads a Lua script that sits next to this module (`src/ratelimit/<name>`).
 * The TypeScript build does not copy `.lua` files: the build must copy `src/ratelimit/*.lua` into
 * `dist/src/ratelimit/`.
 */
export function readLuaScript(name: string): string {
  if (!/^[a-z0-9-]+\.lua$/.test(name)) throw new Error(`Not a Lua script name: ${name}`);
  return readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');
}
