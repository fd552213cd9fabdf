import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { type Kysely, type KyselyPlugin, sql } from 'kysely';
import { statusCommand } from '../../src/cli/status-command.js';
import { loadStatusPage } from '../../src/status-page/load-status-page.js';
import { renderStatusPage } from '../../src/status-page/render-status-page.js';
import { createDatabase } from '../../src/store/create-database.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { seedStreamFleet } from '../helpers/seed-stream-fleet.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

/** Counts the statements a Kysely instance runs (`sql` tag included). */
function queryCounter(): KyselyPlugin & { count: number } {
  return {
    count: 0,
    transformQuery(args) {
      this.count += 1;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
}

describe("Nango's counts in the summary views of a large fleet", () => {
  let database: TestDatabase;
  let db: Kysely<ReplicatorDatabase>;

  before(async () => {
    database = await createTestDatabase('status_nango_counts_fleet');
    db = createDatabase({ url: database.secretUrl });
    await migrateToLatest(db);
    await seedStreamFleet(db, 1000); // 3,000 streams, live rows 100 + (n % 50)
  });
  after(async () => {
    await db?.destroy();
    await database?.drop();
  });

  /** Nango's count on every stream of connections 0..n-1: equal to the rows, except every 10th (off by 10%). */
  async function giveNangoCounts(connections: number): Promise<void> {
    await sql`UPDATE nango_replicator.streams SET nango_record_count = CASE WHEN substr(connection_id, 3)::int % 10 = 0
        THEN live_rows + live_rows / 10 ELSE live_rows END, nango_record_count_at = now()
      WHERE substr(connection_id, 3)::int < ${connections}`.execute(db);
  }

  async function summaryViews(): Promise<{ queries: number; text: string; html: string }> {
    const counter = queryCounter();
    const counted = db.withPlugin(counter);
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    await statusCommand(counted, { schema: 'nango', json: false }, { stdout: out });
    out.end();
    const data = await loadStatusPage(counted, { filter: {}, page: 1, refresh: false }, { schema: 'nango' });
    const html = renderStatusPage(data.rows, null, { summary: data.summary, matching: data.matching, suggestions: data.suggestions });
    return { queries: counter.count, text: Buffer.concat(chunks).toString('utf8'), html };
  }

  test('status and the status page count the flagged streams in their summary, in the same number of queries whether 300 or 3,000 streams carry a count', async () => {
    await giveNangoCounts(100);
    const few = await summaryViews();
    assert.match(
      few.text,
      /^Counts: 30 streams differ from Nango's record count by more than 1% \(a hint: Nango's count ignores variants\)\.$/m,
    );
    assert.match(few.html, /<strong>30<\/strong>counts differ from Nango/);

    await giveNangoCounts(1000);
    const many = await summaryViews();
    assert.match(many.text, /^Counts: 300 streams differ from Nango's record count/m);
    assert.match(many.html, /<strong>300<\/strong>counts differ from Nango/);
    assert.equal(many.queries, few.queries, 'no query per stream');
  });
});
