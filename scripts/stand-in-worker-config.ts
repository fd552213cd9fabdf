import type { SeedSpec } from './stand-in-args.js';

/** Schema of the tables a worker following the stand-in writes: away from a real `nango` schema. */
export const STAND_IN_SCHEMA = 'nango_stand_in';

/** The YAML a worker needs to follow every stream of the stand-in's sample data (REPLICATOR_CONFIG). */
export function standInWorkerConfig(seeds: readonly SeedSpec[]): string {
  const note = (text: string, comment: string) => `${text.padEnd(28)}# ${comment}`;
  const streams = seeds.flatMap((seed) => [
    `  - integration: ${seed.integration}`,
    '    models: [GithubIssue]',
    '    connections: "*"',
    note('    every: 30s', 'each stream is read again every 30 s'),
  ]);
  return [
    "# Written by `npm run stand-in`: what a worker follows in the Nango stand-in's sample data.",
    '# Point REPLICATOR_CONFIG at this file; every key left out keeps its default (see config/replicator.yaml).',
    'nango:',
    '  rateLimit:',
    note('    requestsPerMinute: 6000', "the stand-in sets no limit; against Nango, your plan's"),
    'target:',
    note(`  schema: ${STAND_IN_SCHEMA}`, 'the tables, away from a real `nango` schema'),
    'streams:',
    ...streams,
    'discovery:',
    note('  every: 10s', 'connections and models are looked up every 10 s'),
    '',
  ].join('\n');
}
