// Preloaded into the fleet bench's workers with `--import` when `--memory-probe <dir>` is given (bench only, never the
// product): every 2 s, one JSON line of process.memoryUsage() and V8's heap spaces to <dir>/<pid>.jsonl, so a run
// shows whether a worker's resident memory is V8 heap (live or garbage), external buffers, or neither.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { setInterval } from 'node:timers';
import v8 from 'node:v8';

const dir = process.env.FLEET_MEMORY_PROBE_DIR;
if (dir) {
  const file = join(dir, `${process.pid}.jsonl`);
  const mb = (n) => Math.round(n / 1024 / 102.4) / 10;
  const sample = () => {
    const m = process.memoryUsage();
    const spaces = Object.fromEntries(
      v8.getHeapSpaceStatistics().map((s) => [s.space_name.replace(/_space$/, ''), [mb(s.space_size), mb(s.space_used_size)]]),
    );
    const line = {
      t: Date.now(),
      rss: mb(m.rss),
      heapTotal: mb(m.heapTotal),
      heapUsed: mb(m.heapUsed),
      external: mb(m.external),
      arrayBuffers: mb(m.arrayBuffers),
      spaces,
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  };
  setInterval(sample, 2000).unref();
}
