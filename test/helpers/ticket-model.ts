/** A small model with one field of every column type, for replication tests. */
export const ticketJsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    title: { type: 'string' },
    dueAt: { type: 'string', format: 'date-time' },
    points: { type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 },
    score: { type: 'number' },
    done: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
    assignee: { anyOf: [{ type: 'string' }, { type: 'null' }] },
  },
  required: ['id', 'title', 'dueAt', 'points', 'score', 'done', 'tags', 'assignee'],
  additionalProperties: false,
} as const;

/** A valid Ticket payload, deterministic from `n`. */
export function makeTicket(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `T-${n}`,
    title: `Ticket number ${n}`,
    dueAt: new Date(Date.UTC(2026, 0, 1 + (n % 300), n % 24, 0, 0, 123)).toISOString(),
    points: n * 3,
    score: n / 7,
    done: n % 2 === 0,
    tags: [`t${n % 5}`, 'demo'],
    assignee: n % 3 === 0 ? null : `user${n % 4}`,
    ...overrides,
  };
}
