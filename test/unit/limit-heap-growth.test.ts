import assert from 'node:assert/strict';
import { test } from 'node:test';
import { limitHeapGrowth, WORKER_HEAP_GROWTH_PERCENT } from '../../src/worker/limit-heap-growth.js';

test("a worker limits V8's heap growth unless the process was started with heap flags of its own", () => {
  const set: string[] = [];
  const setFlags = (flags: string) => void set.push(flags);
  assert.equal(
    limitHeapGrowth({ execArgv: ['--import', 'tsx'], nodeOptions: '--enable-source-maps', setFlags }),
    WORKER_HEAP_GROWTH_PERCENT,
  );
  assert.deepEqual(set, [`--heap-growing-percent=${WORKER_HEAP_GROWTH_PERCENT}`]);
  assert.equal(limitHeapGrowth({ execArgv: ['--max-old-space-size=512'], nodeOptions: undefined, setFlags }), null);
  assert.equal(limitHeapGrowth({ execArgv: [], nodeOptions: '--max_old_space_size=512', setFlags }), null);
  assert.equal(limitHeapGrowth({ execArgv: ['--heap-growing-percent=80'], nodeOptions: undefined, setFlags }), null);
  assert.equal(set.length, 1, 'the user flags stand');
});
