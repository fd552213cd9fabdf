import type { z } from 'zod';

/**
 * Turns zod issues into one line per problem, each naming the path and what is allowed,
 * e.g. `nango.pageSize: must be at most 10000 (got 20000)`.
 */
export function formatIssues(
  issues: ReadonlyArray<z.core.$ZodIssue>,
  input?: unknown,
  options: { secretPaths?: ReadonlyArray<string> } = {},
): string {
  return issues.map((issue) => formatIssue(issue, input, options.secretPaths ?? [])).join('; ');
}

function formatIssue(issue: z.core.$ZodIssue, input: unknown, secretPaths: ReadonlyArray<string>): string {
  const path = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
  // Values at secret paths are never echoed back, not even when they are wrong.
  const got = secretPaths.includes(path) ? undefined : valueAt(input, issue.path);
  const shown = got === undefined ? '' : ` (got ${preview(got)})`;
  return `${path}: ${issue.message}${issue.code === 'unrecognized_keys' ? '' : shown}`;
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
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
