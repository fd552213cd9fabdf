import { execFile } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** Inside node_modules so the compiled children resolve the project's packages; never committed. */
const OUT = join(ROOT, 'node_modules', '.cache', 'nango-replicator-bench');
const CHILDREN = ['bench/sync-child.ts', 'bench/limiter-child.ts'];
/** tsc compiles only what the children import; a minute is far more than it needs. */
const COMPILE_TIMEOUT_MS = 120_000;

/** Paths of the compiled child entry points. */
export interface CompiledChildren {
  syncChild: string;
  limiterChild: string;
}

/**
 * Compiles the bench's child processes and the sources they import to JavaScript, so the processes measured
 * (time, peak RSS) run as the shipped product does: plain `node`, no TypeScript loader in memory.
 */
export async function compileChildren(): Promise<CompiledChildren> {
  rmSync(OUT, { recursive: true, force: true });
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const options = [
    '--outDir',
    OUT,
    '--rootDir',
    ROOT,
    '--module',
    'NodeNext',
    '--moduleResolution',
    'NodeNext',
    '--target',
    'ES2022',
    '--esModuleInterop',
    '--skipLibCheck',
    '--types',
    'node',
    '--declaration',
    'false',
    '--sourceMap',
    'false',
  ];
  try {
    await promisify(execFile)(process.execPath, [tsc, ...options, ...CHILDREN.map((c) => join(ROOT, c))], {
      cwd: ROOT,
      timeout: COMPILE_TIMEOUT_MS,
    });
  } catch (error) {
    // Type errors still emit JavaScript; only a missing output is fatal.
    if (!existsSync(join(OUT, 'bench', 'sync-child.js'))) throw error;
  }
  writeFileSync(join(OUT, 'package.json'), '{ "type": "module" }\n');
  for (const folder of ['ratelimit', 'lock']) copyLua(join(ROOT, 'src', folder), join(OUT, 'src', folder));
  return { syncChild: join(OUT, 'bench', 'sync-child.js'), limiterChild: join(OUT, 'bench', 'limiter-child.js') };
}

/** The Lua scripts are read at run time next to the module that loads them. */
function copyLua(from: string, to: string): void {
  if (!existsSync(from) || !existsSync(to)) return;
  for (const name of readdirSync(from)) if (name.endsWith('.lua')) cpSync(join(from, name), join(to, name));
}
