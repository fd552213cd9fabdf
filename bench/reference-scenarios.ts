import { Secret } from '../src/config/secret.js';
import { createLogger } from '../src/log/create-logger.js';
import { createNangoClient } from '../src/nango/nango-client.js';
import type { NangoRecord } from '../src/write/records-page.js';
import { openGate } from '../src/ratelimit/request-gate.js';
import { directModelFields } from '../src/replicate/model-fields-lookup.js';
import { renderRecord } from '../stand-in/render-record.js';
import { ensureModelTable } from '../src/store/ensure-model-table.js';
import type { TableLayout } from '../src/store/table-layout.js';
import { cpuFigures, figure, type Figure } from './bench-report.js';
import { type BenchRun, repeat } from './bench-run.js';
import { BENCH_STREAM, type BenchStandIn } from './bench-stand-in.js';
import { copyCeiling } from './copy-ceiling.js';
import { naivePeer } from './naive-peer.js';

/** The ceiling's rows: every record of the stand-in, as the API renders it. */
export function ceilingRecords(bench: BenchStandIn): NangoRecord[] {
  const connection = bench.standIn.store.findConnection(BENCH_STREAM.providerConfigKey, BENCH_STREAM.connectionId);
  if (!connection) throw new Error('the bench connection is missing from the stand-in');
  return bench.standIn.store.orderedRecords(connection, BENCH_STREAM.model).map((row) => renderRecord(row) as NangoRecord);
}

/** One run of the ceiling: `records` COPYed into an empty table of the product's layout, after a checkpoint. */
export async function ceilingRun(run: BenchRun, bench: BenchStandIn, records: ReadonlyArray<NangoRecord>): Promise<CeilingSample> {
  const layout = await emptyTable(run, bench, 'ceiling');
  await run.database.checkpoint();
  return copyCeiling(run.database.url, layout, BENCH_STREAM, records);
}

export type CeilingSample = Awaited<ReturnType<typeof copyCeiling>>;

/** The ceiling's figure from its runs. */
export function ceilingFigure(records: number, samples: ReadonlyArray<CeilingSample>): Figure {
  return figure(
    'ceiling: COPY',
    records,
    samples.map((s) => s.elapsedMs),
    cpuFigures(samples),
  );
}

/** The naive peer on the first `--naive-records` records, extrapolated as a rate. */
export async function naiveScenario(run: BenchRun, bench: BenchStandIn): Promise<Figure> {
  const sample = Math.min(run.args.naiveRecords, run.args.records);
  const samples = await repeat(run, `naive peer (${sample} records)`, async () => {
    const layout = await emptyTable(run, bench, 'naive');
    await run.database.checkpoint();
    return naivePeer({
      databaseUrl: run.database.url,
      nangoHost: bench.standIn.url,
      secretKey: bench.secretKey,
      stream: BENCH_STREAM,
      layout,
      sample,
    });
  });
  return figure(
    `naive peer (extrapolated from ${sample.toLocaleString('en-US')})`,
    sample,
    samples.map((s) => s.elapsedMs),
  );
}

/** A fresh table of the product's layout in `schema`, made by the product's own DDL. */
async function emptyTable(run: BenchRun, bench: BenchStandIn, schema: string): Promise<TableLayout> {
  await run.database.reset([schema]);
  const logger = createLogger({ level: 'silent' });
  const nango = createNangoClient(
    { fetch, gate: openGate, logger },
    {
      host: bench.standIn.url,
      secretKey: new Secret(bench.secretKey),
      requestTimeoutMs: 30_000,
      retries: 2,
      retryMinDelayMs: 100,
      retryMaxDelayMs: 1000,
    },
  );
  const fields = await directModelFields(nango)(BENCH_STREAM);
  return ensureModelTable({ db: run.database.db, logger }, { schema, model: BENCH_STREAM.model, fields, fillfactor: run.args.fillfactor });
}
