import { mulberry32, type Rng } from './mulberry32.js';
import type { RecordStore } from './record-store.js';

const INT = { type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 } as const;
const WORDS = (
  'sync cursor page record webhook retry token schema column deploy connection model ' +
  'latency budget window replica batch payload migrate index tombstone backfill stream'
).split(' ');
const LABELS = ['bug', 'enhancement', 'question', 'docs', 'good first issue', 'wontfix'];
const LOGINS = ['octocat', 'hubot', 'monalisa', 'defunkt', 'mojombo'];
const EPOCH_MS = Date.UTC(2024, 0, 1);

/** Draft-7 JSON schema of `GithubIssue`, shaped like `z.toJSONSchema(..., { target: 'draft-7' })` output. */
export const githubIssueJsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    number: INT,
    title: { type: 'string' },
    body: { type: 'string' },
    state: { type: 'string', enum: ['open', 'closed'] },
    labels: { type: 'array', items: { type: 'string' } },
    assignee: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    comments: INT,
    score: { type: 'number' },
    locked: { type: 'boolean' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    user: {
      type: 'object',
      properties: { login: { type: 'string' }, id: INT, site_admin: { type: 'boolean' } },
      required: ['login', 'id', 'site_admin'],
      additionalProperties: false,
    },
  },
  required: [
    'id',
    'number',
    'title',
    'body',
    'state',
    'labels',
    'assignee',
    'comments',
    'score',
    'locked',
    'created_at',
    'updated_at',
    'user',
  ],
  additionalProperties: false,
} as const;

/** A sample issue payload. */
export interface GithubIssue {
  id: string;
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  assignee: string | null;
  comments: number;
  score: number;
  locked: boolean;
  created_at: string;
  updated_at: string;
  user: { login: string; id: number; site_admin: boolean };
}

/** Issue number `n` drawn from `rng` (about 500 bytes of body). Deterministic for a given rng state. */
export function makeGithubIssue(n: number, rng: Rng): GithubIssue {
  const createdMs = EPOCH_MS + n * 3_600_000 + Math.floor(rng() * 3_600_000);
  const login = pick(LOGINS, rng);
  return {
    id: String(1_000_000 + n),
    number: n,
    title: `${capitalise(words(rng, 3 + Math.floor(rng() * 5)))} (#${n})`,
    body: sentenceOfLength(rng, 500),
    state: rng() < 0.7 ? 'open' : 'closed',
    labels: LABELS.filter(() => rng() < 0.25),
    assignee: rng() < 0.4 ? null : pick(LOGINS, rng),
    comments: Math.floor(rng() * 50),
    score: Math.round(rng() * 10_000) / 100,
    locked: rng() < 0.05,
    created_at: new Date(createdMs).toISOString(),
    updated_at: new Date(createdMs + Math.floor(rng() * 86_400_000)).toISOString(),
    user: { login, id: 100 + LOGINS.indexOf(login), site_admin: login === 'hubot' },
  };
}

/** Options of {@link seedGithubDemo}. */
export interface SeedGithubDemoOptions {
  /** Default `github`. */
  providerConfigKey?: string;
  /** Connection ids. Default `['acme', 'globex']`. */
  connections?: string[];
  recordsPerConnection: number;
  /** PRNG seed. Default 1. */
  seed?: number;
  /** Records per `batchSave` (they share one updated_at). Default 100. */
  batchSize?: number;
}

/** What {@link seedGithubDemo} created. */
export interface SeededGithubDemo {
  providerConfigKey: string;
  connections: string[];
  syncName: 'issues';
  model: 'GithubIssue';
}

/** Adds the connections, deploys sync `issues` (every 5 minutes) returning GithubIssue, saves the issues in batches. */
export function seedGithubDemo(store: RecordStore, options: SeedGithubDemoOptions): SeededGithubDemo {
  const providerConfigKey = options.providerConfigKey ?? 'github';
  const connections = options.connections ?? ['acme', 'globex'];
  const batchSize = options.batchSize ?? 100;
  const rng = mulberry32(options.seed ?? 1);
  for (const connectionId of connections) {
    if (!store.findConnection(providerConfigKey, connectionId)) {
      store.addConnection({ providerConfigKey, connectionId, provider: 'github' });
    }
  }
  store.deploySync({
    providerConfigKey,
    provider: 'github',
    name: 'issues',
    models: [{ name: 'GithubIssue', jsonSchema: structuredClone(githubIssueJsonSchema) as unknown as Record<string, unknown> }],
    runs: 'every 5 minutes',
    syncType: 'incremental',
  });
  for (const connectionId of connections) {
    for (let start = 1; start <= options.recordsPerConnection; start += batchSize) {
      const end = Math.min(start + batchSize - 1, options.recordsPerConnection);
      const batch = Array.from({ length: end - start + 1 }, (_, i) => makeGithubIssue(start + i, rng));
      store.save(providerConfigKey, connectionId, 'GithubIssue', batch);
    }
  }
  return { providerConfigKey, connections, syncName: 'issues', model: 'GithubIssue' };
}

/** Which stream {@link churnGithubIssues} touches. */
export interface ChurnTarget {
  /** Default `github`. */
  providerConfigKey?: string;
  connectionId: string;
  /** Default `GithubIssue`. */
  model?: string;
}

/**
 * Saves a changed version of `updates` live issues (one batch) and then soft-deletes `deletes`
 * other live issues with payload `{id}` only (another batch). Returns the ids touched.
 */
export function churnGithubIssues(
  store: RecordStore,
  target: ChurnTarget,
  change: { updates: number; deletes: number; rng: Rng },
): { updated: string[]; deleted: string[] } {
  const providerConfigKey = target.providerConfigKey ?? 'github';
  const model = target.model ?? 'GithubIssue';
  const live = store
    .snapshot(providerConfigKey, target.connectionId, model)
    .filter((r) => r.lastAction !== 'DELETED' && r.prunedAt === null);
  const chosen = shuffle(live, change.rng).slice(0, change.updates + change.deletes);
  const toUpdate = chosen.slice(0, change.updates);
  const toDelete = chosen.slice(change.updates);
  if (toUpdate.length > 0) {
    const changed = toUpdate.map(({ payload }) => {
      const issue = payload as unknown as GithubIssue;
      const updatedAt = new Date(Date.parse(issue.updated_at) + 3_600_000).toISOString();
      return { ...issue, comments: issue.comments + 1, title: `${issue.title} (edited)`, updated_at: updatedAt };
    });
    store.save(providerConfigKey, target.connectionId, model, changed);
  }
  if (toDelete.length > 0)
    store.delete(
      providerConfigKey,
      target.connectionId,
      model,
      toDelete.map((r) => ({ id: r.id })),
    );
  return { updated: toUpdate.map((r) => r.id), deleted: toDelete.map((r) => r.id) };
}

function pick<T>(items: readonly T[], rng: Rng): T {
  return items[Math.floor(rng() * items.length)]!;
}

function words(rng: Rng, count: number): string {
  return Array.from({ length: count }, () => pick(WORDS, rng)).join(' ');
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function sentenceOfLength(rng: Rng, length: number): string {
  let text = '';
  while (text.length < length) text += `${capitalise(words(rng, 6 + Math.floor(rng() * 6)))}. `;
  return text.slice(0, length).trimEnd();
}

function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
