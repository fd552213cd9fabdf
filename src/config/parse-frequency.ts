import ms from 'ms';

/** Nango's named intervals (docs/nango-api.md 6, `getInterval`), keyed by the phrase without `every `. */
const NAMED_INTERVALS: Readonly<Record<string, string>> = {
  'half day': '12h',
  'half hour': '30m',
  'quarter hour': '15m',
  hour: '1h',
  day: '1d',
  week: '1w',
  month: '30d',
};

/** A unit without a number (`every minute`): Nango's regex accepts it; read it as one of that unit. */
const BARE_UNIT = /^(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)$/;

/**
 * Reads a sync frequency in milliseconds, from either notation the replicator meets:
 * - vercel-ms, as in the config file: `30s`, `5m`, `1h`, `2 days`;
 * - Nango's phrasing, as in a sync's `runs` (docs/nango-api.md 6): `every hour`, `every 30 minutes`, `every half hour`,
 *   `every quarter hour`, `every half day`, `every day`, `every week`, `every month` (30 days).
 * Returns null when the text is neither, or not a positive whole number of milliseconds.
 */
export function parseFrequency(text: string): number | null {
  let phrase = text.trim().toLowerCase().replace(/\s+/g, ' ');
  if (phrase.startsWith('every ')) phrase = phrase.slice('every '.length);
  const named = NAMED_INTERVALS[phrase];
  if (named !== undefined) phrase = named;
  else if (BARE_UNIT.test(phrase)) phrase = `1 ${phrase}`;
  // Decimals are refused, as Nango refuses them; ms() would accept them.
  if (!/^\d+ ?[a-z]+$/.test(phrase)) return null;
  const parsed = ms(phrase as ms.StringValue);
  return typeof parsed === 'number' && Number.isInteger(parsed) && parsed > 0 ? parsed : null;
}
