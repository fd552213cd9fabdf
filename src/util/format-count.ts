/** 12345 -> "12,345": en-US separators, so output does not depend on the server's locale. */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** A count with its noun: `1 record`, `0 records`, `1,200 records`; `plural` for nouns not ending in a plain s. */
export function formatCountOf(count: number, noun: string, plural = `${noun}s`): string {
  return `${formatCount(count)} ${Math.round(count) === 1 ? noun : plural}`;
}
