import { rowPassed, type SurvivalRow } from './scenario.js';

/** The survival table as Markdown, one line per row. */
export function formatSurvivalTable(rows: ReadonlyArray<SurvivalRow & { scenario: { name: string }; seconds: number }>): string {
  const header = ['scenario', 'fault', 'injected', 'survived', 'lost', 'duplicated', 'cursors ahead', 's', 'result'];
  const lines = rows.map((r) => [
    r.scenario.name,
    r.fault,
    String(r.injected),
    String(r.survived),
    String(r.lost),
    String(r.duplicated),
    String(r.ahead),
    String(r.seconds),
    rowPassed(r) ? 'ok' : 'FAILED',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [format(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(format)].join('\n');
}
