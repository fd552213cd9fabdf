// Copies every src/**/*.lua to the same path under dist/src/, next to the compiled module that reads it
// (see src/redis-scripts/read-lua-script.ts): tsc compiles TypeScript only. Run by `npm run build`.
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const copied = readdirSync('src', { recursive: true })
  .map(String)
  .filter((file) => file.endsWith('.lua'));
for (const file of copied) cpSync(join('src', file), join('dist', 'src', file));
if (copied.length === 0) throw new Error('no .lua file found under src/: run from the package root');
