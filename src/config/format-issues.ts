import type { z } from 'zod';
import { nearestKey } from './nearest-key.js';
import { schemaFacts, type SchemaFacts } from './schema-at.js';

export interface FormatIssuesOptions {
  /** Paths whose values are secrets: never echoed. */
  secretPaths?: ReadonlyArray<string>;
  /**
   * The schema the input was parsed with: an unknown key then suggests the nearest known one ("did you mean
   * pageSize?"), and a number out of range states the whole range (`must be a whole number from 1 to 10000`).
   */
  schema?: z.core.$ZodType;
}

/**
 * Turns zod issues into one line per problem, each naming the path and what is allowed,
 * e.g. `nango.pageSize: must be at most 10000 (got 20000)`.
 */
export function formatIssues(issues: ReadonlyArray<z.core.$ZodIssue>, input?: unknown, options: FormatIssuesOptions = {}): string {
  return issues.map((issue) => formatIssue(issue, input, options)).join('; ');
}

function formatIssue(issue: z.core.$ZodIssue, input: unknown, options: FormatIssuesOptions): string {
  const path = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
  // Values at secret paths are never echoed back, not even when they are wrong.
  const got = (options.secretPaths ?? []).includes(path) ? undefined : valueAt(input, issue.path);
  const shown = got === undefined ? '' : ` (got ${preview(got)})`;
  if (issue.code === 'unrecognized_keys') return `${path}: ${issue.message}${suggestion(issue.keys, options.schema, issue.path)}`;
  const range =
    (issue.code === 'too_small' || issue.code === 'too_big') && issue.origin === 'number' && options.schema !== undefined
      ? rangeText(schemaFacts(options.schema, issue.path).number)
      : undefined;
  return `${path}: ${range ?? issue.message}${shown}`;
}

/** ` (did you mean pageSize?)` for each unknown key close to a known one; empty when none is. */
function suggestion(keys: ReadonlyArray<string>, schema: z.core.$ZodType | undefined, path: ReadonlyArray<PropertyKey>): string {
  const known = schema === undefined ? undefined : schemaFacts(schema, path).keys;
  if (known === undefined) return '';
  const guesses = keys.map((key) => nearestKey(key, known)).filter((key): key is string => key !== undefined);
  if (guesses.length > 0) return ` (did you mean ${guesses.join(', ')}?)`;
  return ` (known keys: ${known.join(', ')})`;
}

/** `must be a whole number from 1 to 10000`, from the bounds of the number's schema; undefined without bounds. */
function rangeText(facts: SchemaFacts['number']): string | undefined {
  if (facts === undefined || (facts.min === undefined && facts.max === undefined)) return undefined;
  const kind = facts.integer ? 'a whole number' : 'a number';
  const { min, max } = facts;
  if (min?.inclusive && max?.inclusive) return `must be ${kind} from ${min.value} to ${max.value}`;
  const parts = [
    min === undefined ? undefined : `${min.inclusive ? 'at least' : 'above'} ${min.value}`,
    max === undefined ? undefined : `${max.inclusive ? 'at most' : 'below'} ${max.value}`,
  ].filter((part) => part !== undefined);
  return `must be ${kind} ${parts.join(' and ')}`;
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function preview(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
