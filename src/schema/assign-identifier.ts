import { isReservedIdentifier } from './column-type.js';
import { toSnakeCase } from './to-snake-case.js';

/** Postgres truncates identifiers longer than this many bytes (NAMEDATALEN - 1). */
export const MAX_IDENTIFIER_BYTES = 63;

/** Used when a name normalises to nothing (`''`, `'!!!'`, `'名前'`). */
const EMPTY_NAME = 'unnamed';
/** Prepended when a name normalises to something starting with a digit (`2fa` -> `f_2fa`). */
const DIGIT_PREFIX = 'f_';

/**
 * Turns an untrusted Nango name (model or field) into a Postgres identifier that is not in `taken`
 * and not reserved.
 *
 * Rules, in order:
 * 1. {@link toSnakeCase}: only `[a-z0-9_]`, no leading, trailing or repeated `_`.
 * 2. Empty -> `unnamed`; starting with a digit -> prefixed with `f_`.
 * 3. Capped at {@link MAX_IDENTIFIER_BYTES} UTF-8 bytes (never splitting a character), then
 *    trailing `_` trimmed.
 * 4. If the result is in `taken` or reserved (a system column such as `id` or `_nango_raw`, any name
 *    starting with `_nango_`, a Postgres system column such as `ctid` or `xmin`, an SQL reserved word
 *    such as `user` or `select`: see {@link isReservedIdentifier}), the first free of `<base>_2`, `<base>_3`, ... where `<base>` is
 *    shortened so the whole stays within the byte cap.
 *
 * Pure and deterministic: the same `name` and `taken` always give the same identifier. `taken` is
 * compared exactly, so it should hold identifiers produced by this function. Used for table names
 * too, where the same reserved names apply (a model named `Id` gets table `id_2`).
 */
export function assignIdentifier(name: string, taken: ReadonlySet<string>): string {
  const base = baseIdentifier(name);
  if (isFree(base, taken)) return base;
  // Candidates differ in their trailing digit run, so each n gives a new name: this terminates
  // within taken.size + reserved-names attempts.
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const candidate = trimTrailingUnderscores(capUtf8Bytes(base, MAX_IDENTIFIER_BYTES - suffix.length)) + suffix;
    if (isFree(candidate, taken)) return candidate;
  }
}

function baseIdentifier(name: string): string {
  let snake = toSnakeCase(name);
  if (snake === '') snake = EMPTY_NAME;
  else if (snake.charCodeAt(0) >= 48 && snake.charCodeAt(0) <= 57) snake = DIGIT_PREFIX + snake;
  return trimTrailingUnderscores(capUtf8Bytes(snake, MAX_IDENTIFIER_BYTES));
}

function isFree(identifier: string, taken: ReadonlySet<string>): boolean {
  return !taken.has(identifier) && !isReservedIdentifier(identifier);
}

function trimTrailingUnderscores(value: string): string {
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === 95) end--;
  return end === value.length ? value : value.slice(0, end);
}

/**
 * The longest prefix of `value` whose UTF-8 encoding fits in `maxBytes`, cut on a code point
 * boundary. toSnakeCase output is ASCII, so this is a plain slice today; it stays byte-correct
 * should the normalisation ever keep non-ASCII letters.
 */
function capUtf8Bytes(value: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    const size = code <= 0x7f ? 1 : code <= 0x7ff ? 2 : code <= 0xffff ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return end === value.length ? value : value.slice(0, end);
}
