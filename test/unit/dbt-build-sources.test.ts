import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StreamRule } from '../../src/config/replicator-config.js';
import { buildDbtSources } from '../../src/dbt/build-dbt-sources.js';
import { dbtFreshness } from '../../src/dbt/dbt-freshness.js';
import type { CatalogTable } from '../../src/dbt/list-model-table-catalog.js';

const table = (model: string, streams: Array<[string, string]>, schema = 'nango'): CatalogTable => ({
  schema,
  table: model.toLowerCase(),
  model,
  comment: null,
  columns: [{ name: 'id', type: 'text', comment: null }],
  integrations: [...new Set(streams.map(([i]) => i))],
  streams: streams.map(([providerConfigKey, connectionId]) => ({ providerConfigKey, connectionId })),
});
const rule = (integration: string, everyMs: number | undefined, extra: Partial<StreamRule> = {}): StreamRule => ({
  integration,
  models: '*',
  connections: '*',
  everyMs,
  ...extra,
});

describe('the dbt sources file', () => {
  test('freshness warns after two periods and errors after four, in the largest whole unit', () => {
    assert.deepEqual(dbtFreshness(5 * 60_000), {
      warn_after: { count: 10, period: 'minute' },
      error_after: { count: 20, period: 'minute' },
    });
    assert.deepEqual(dbtFreshness(30 * 60_000), { warn_after: { count: 1, period: 'hour' }, error_after: { count: 2, period: 'hour' } });
    assert.deepEqual(dbtFreshness(12 * 3_600_000), { warn_after: { count: 1, period: 'day' }, error_after: { count: 2, period: 'day' } });
    assert.deepEqual(dbtFreshness(10_000).warn_after, { count: 1, period: 'minute' }, 'never under a minute');
  });

  test("a table's period is the longest among its streams' first matching rules; none with `every`: no block, and a note", () => {
    const rules = [rule('crm', 60_000, { connections: ['fast'] }), rule('crm', 3_600_000), rule('erp', undefined)];
    const { sources, notes } = buildDbtSources(
      [
        table('Contact', [
          ['crm', 'fast'],
          ['crm', 'slow'],
        ]),
        table('Invoice', [['erp', 'x']]),
        table('Lead', [['crm', 'fast']], 'sales'),
      ],
      rules,
    );
    assert.deepEqual(
      sources.sources.map((s) => s.name),
      ['nango', 'sales'],
      'one source per schema',
    );
    const [contact, invoice] = sources.sources[0]!.tables;
    assert.deepEqual(contact?.freshness?.warn_after, { count: 2, period: 'hour' }, 'the slow connection sets it');
    assert.equal(invoice?.freshness, undefined);
    assert.deepEqual(notes, ['nango.invoice: no freshness block (no rule under `streams` with `every` covers its streams)']);
    assert.deepEqual(sources.sources[1]!.tables[0]?.freshness?.warn_after, { count: 2, period: 'minute' });
    assert.equal(contact?.columns[0]?.description, 'Record id in Nango; part of the primary key', 'system columns are described');
  });
});
