import { readFileSync } from 'node:fs';
import { type LuaScript, luaScript } from './lua-script.js';

/**
 * Reads the Lua script `name` from `folder`, the folder of the module that runs it (pass
 * `new URL('.', import.meta.url)`), so each script lives next to its TypeScript face (`src/ratelimit/*.lua`,
 * `src/lock/*.lua`). The TypeScript build does not copy `.lua` files: `npm run build` copies every `src/**\/*.lua`
 * to the same place under `dist/src/` (scripts/copy-lua-scripts.mjs).
 */
export function readLuaScript(folder: URL, name: string): LuaScript {
  if (!/^[a-z0-9-]+\.lua$/.test(name)) throw new Error(`Not a Lua script name: ${name}`);
  return luaScript(readFileSync(new URL(`./${name}`, folder), 'utf8'));
}
