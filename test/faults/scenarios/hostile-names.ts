import { isDeepStrictEqual } from 'node:util';
import { sql } from 'kysely';
import { openFaultLab, waitFor, type FaultLab } from '../fault-lab.js';
import { crashSigns } from '../replicator-process.js';
import { emptyRow, type Scenario } from '../scenario.js';
import { type FaultStream, modelTable } from '../stream-rows.js';
import { settleRow } from '../settle-row.js';

/** Names of Nango-side things, as hostile as Nango lets them be (docs/nango-api.md 1.1 regexes; fields are free). */
const INTEGRATIONS = ['a b~c:d.e@f_g-h', `k${'~:.@ _-'.repeat(36)}z`.slice(0, 255)];
const CONNECTIONS = [
  `o'brien "; DROP TABLE nango_replicator.streams; --`,
  `$x{y}|[z]@=+~,.;:/\\ '"`,
  `c${'\'"\\'.repeat(84)}`.slice(0, 255),
];
const MODELS = ['HostileRecord', 'Ticket_Item', 'TicketItem', 'Ticket-Item', 'Nango_raw', 'Id'];
const FIELDS = [
  `it's "quoted"`,
  `x"); DROP TABLE nango_replicator.streams; --`,
  '名前',
  '🎉 party',
  'Ünïcödé Fïeld',
  'f'.repeat(300),
  `${'f'.repeat(299)}g`,
  `${'é'.repeat(40)}a`,
  `${'é'.repeat(40)}b`,
  'fooBar',
  'foo_bar',
  'FooBar',
  'foo-bar',
  '_nango_raw',
  '_nango_cursor',
  '_nango_connection_id',
  '_nango_deleted_at',
  'ID',
  '',
  ' ',
];
const RECORD_IDS = (n: number) => [`T-${n}`, `'; DROP TABLE x; --${n}`, `🎉-${n}`, `名前 ${n}`, `"${n}"\\`];

/** A Nango model and hostile records to store under hostile names; checked column by column. */
interface HostileCase {
  name: string;
  fault: string;
  streams: FaultStream[];
  fields: string[];
  /** Also let a worker keep them fresh after the first `sync`. */
  withWorker: boolean;
}

function schemaOf(fields: readonly string[]): Record<string, unknown> {
  return {
    type: 'object',
    properties: { id: { type: 'string' }, ...Object.fromEntries(fields.map((f) => [f, { type: 'string' }])) },
    required: ['id'],
    additionalProperties: false,
  };
}

function payload(id: string, fields: readonly string[], version: number): Record<string, unknown> {
  return { id, ...Object.fromEntries(fields.map((f, i) => [f, `v${version} of field ${i} '${f.slice(0, 20)}'; DROP --`])) };
}

function hostileScenario(c: HostileCase): Scenario {
  return {
    name: c.name,
    async run(suite) {
      const row = emptyRow(c.fault);
      const schemas = Object.fromEntries(c.streams.map((s) => [s.model, schemaOf(c.fields)]));
      const lab = await openFaultLab(suite, { label: c.name.replace(/-/g, '_'), streams: c.streams, schemas });
      let version = 1;
      const write = (from: number, count: number) => {
        for (const s of c.streams) {
          const ids = Array.from({ length: count }, (_, i) => RECORD_IDS(from + i)).flat();
          lab.standIn.store.save(
            s.providerConfigKey,
            s.connectionId,
            s.model,
            ids.map((id) => payload(id, c.fields, version)),
          );
        }
      };
      const change = () => {
        version++;
        for (const s of c.streams) {
          lab.standIn.store.update(
            s.providerConfigKey,
            s.connectionId,
            s.model,
            RECORD_IDS(1).map((id) => payload(id, c.fields, version)),
          );
          lab.standIn.store.delete(
            s.providerConfigKey,
            s.connectionId,
            s.model,
            RECORD_IDS(2).map((id) => ({ id })),
          );
        }
        write(100, 3);
      };
      try {
        write(0, 8);
        row.injected = c.streams.length;
        for (const proc of await lab.syncEach()) {
          const exit = await proc.done;
          if (exit.code !== 0)
            row.failures.push(
              `sync exited ${exit.code ?? exit.signal}: ${(crashSigns(proc.output()) ?? lastLines(proc.output())).slice(0, 400)}`,
            );
        }
        change();
        if (c.withWorker) {
          const worker = lab.worker();
          const converged = await waitFor(
            async () => {
              const diff = await lab.diff();
              return diff.lost + diff.duplicated === 0 || !worker.alive();
            },
            90_000,
            500,
          );
          if (!worker.alive()) row.failures.push(`the worker died: ${crashSigns(worker.output()) ?? lastLines(worker.output())}`);
          else if (!converged) row.failures.push(`the worker did not converge within 90 s: ${lastErrors(worker.output())}`);
          if (worker.alive()) await worker.kill('SIGTERM');
        } else {
          for (const proc of await lab.syncEach()) {
            const exit = await proc.done;
            if (exit.code !== 0)
              row.failures.push(`second sync exited ${exit.code ?? exit.signal}: ${lastLines(proc.output()).slice(0, 400)}`);
          }
        }
        const examples = await settleRow(lab, row);
        if (examples.length > 0) suite.log(`${c.name}: ${examples.join('; ')}`);
        const columnLoss = await checkColumns(lab, c);
        row.lost += columnLoss.lost;
        row.failures.push(...columnLoss.problems);
        row.survived = row.lost === 0 && row.duplicated === 0 && row.failures.length === 0 ? row.injected : 0;
        return [row];
      } finally {
        await lab.close();
      }
    },
  };
}

/**
 * Each field has a column of its own, and every live row holds the field's value in it: two fields sharing a
 * column (a collision after snake_case or truncation) would show here as values of the other field.
 */
async function checkColumns(lab: FaultLab, c: HostileCase): Promise<{ lost: number; problems: string[] }> {
  let lost = 0;
  const problems: string[] = [];
  for (const stream of c.streams) {
    const table = await modelTable(lab.db, stream.model);
    if (table === null) {
      problems.push(`no table for model ${stream.model.slice(0, 60)}`);
      continue;
    }
    const mapped = await lab.db
      .selectFrom('nango_replicator.table_columns')
      .select(['field', 'column_name'])
      .where('table_schema', '=', 'nango')
      .where('table_name', '=', table)
      .execute();
    const columnOf = new Map(mapped.map((m) => [m.field, m.column_name]));
    const columns = new Set(mapped.map((m) => m.column_name));
    if (columns.size !== mapped.length) problems.push(`${table}: two fields share a column`);
    for (const field of c.fields)
      if (!columnOf.has(field)) problems.push(`${table}: field ${JSON.stringify(field.slice(0, 40))} has no column`);
    const { rows } = await sql<Record<string, unknown>>`
      SELECT * FROM ${sql.table(`nango.${table}`)}
      WHERE _nango_provider_config_key = ${stream.providerConfigKey} AND _nango_connection_id = ${stream.connectionId} AND _nango_deleted_at IS NULL`.execute(
      lab.db,
    );
    const source = new Map(
      lab.standIn.store.snapshot(stream.providerConfigKey, stream.connectionId, stream.model).map((r) => [r.id, r.payload]),
    );
    for (const stored of rows) {
      const expected = source.get(stored.id as string);
      if (expected === undefined) continue; // counted by the source diff
      const wrong = c.fields.filter((f) => columnOf.has(f) && !isDeepStrictEqual(stored[columnOf.get(f) as string], expected[f]));
      if (wrong.length > 0) lost++;
    }
  }
  if (lost > 0) problems.push(`${lost} rows hold another value than their field's in a typed column`);
  return { lost, problems: [...new Set(problems)].slice(0, 6) };
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}

function lastErrors(text: string): string {
  return text
    .split('\n')
    .filter((l) => /"level":(50|40)/.test(l))
    .slice(-2)
    .join(' | ')
    .slice(0, 500);
}

const streamsOf = (integrations: string[], connections: string[], models: string[]): FaultStream[] =>
  integrations.flatMap((providerConfigKey) =>
    connections.flatMap((connectionId) => models.map((model) => ({ providerConfigKey, connectionId, model }))),
  );

export const hostileNames = hostileScenario({
  name: 'hostile-names',
  fault: 'hostile names: quotes, SQL, unicode, emoji, 300 chars, collisions, _nango_ (keys, connections, models, fields, ids)',
  streams: [
    ...streamsOf(INTEGRATIONS.slice(0, 1), CONNECTIONS, MODELS.slice(0, 1)),
    ...streamsOf(INTEGRATIONS.slice(1), CONNECTIONS.slice(0, 1), MODELS),
  ],
  fields: FIELDS,
  withWorker: true,
});

export const systemColumnFields = hostileScenario({
  name: 'system-column-fields',
  fault: 'fields named like system columns (ctid, xmin, xmax, cmin, cmax, tableoid, oid)',
  streams: [{ providerConfigKey: 'geo', connectionId: 'acme', model: 'GeoBox' }],
  fields: ['ctid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid', 'oid', 'title'],
  withWorker: false,
});

export const longModelNames = hostileScenario({
  name: 'long-model-names',
  fault: 'model names of 255 characters sharing their first 200',
  streams: [`A${'x'.repeat(254)}`, `A${'x'.repeat(199)}${'y'.repeat(55)}`, `A${'x'.repeat(199)}${'z'.repeat(55)}`].map((model) => ({
    providerConfigKey: 'longs',
    connectionId: 'acme',
    model,
  })),
  fields: ['title'],
  withWorker: false,
});
