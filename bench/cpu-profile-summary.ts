import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a V8 `.cpuprofile` (as `node --cpu-prof` writes it) that the summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** One function's share of a profile: the time sampled in it, not in what it called. */
export interface SelfTime {
  name: string;
  ms: number;
  /** Of the time the process was not idle. */
  percent: number;
}

/**
 * The functions that took the most time themselves in the `.cpuprofile` of `dir` (the one `--cpu-prof-dir` wrote),
 * idle time left out: where a sync's CPU goes, as a table row can not say. Named `name file:line`; V8's own entries
 * keep their names (`(garbage collector)`, `(program)`); native functions such as `writev` are system calls.
 */
export function topSelfTimes(dir: string, top: number): SelfTime[] {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const microsByNode = new Map<number, number>();
  profile.samples.forEach((id, i) => microsByNode.set(id, (microsByNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const microsByName = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    const where = url === '' ? '' : ` ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    const name = `${functionName || '(anonymous)'}${where}`;
    microsByName.set(name, (microsByName.get(name) ?? 0) + (microsByNode.get(node.id) ?? 0));
  }
  const busy = [...microsByName.values()].reduce((sum, micros) => sum + micros, 0);
  return [...microsByName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, micros]) => ({ name, ms: Math.round(micros / 1000), percent: busy === 0 ? 0 : Math.round((micros / busy) * 1000) / 10 }));
}

/** {@link topSelfTimes} as lines for the log: `  1234 ms  12.3%  name`. */
export function formatSelfTimes(times: ReadonlyArray<SelfTime>): string {
  return times.map((t) => `${String(t.ms).padStart(7)} ms ${t.percent.toFixed(1).padStart(5)}%  ${t.name}`).join('\n');
}
