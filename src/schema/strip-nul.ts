const NUL = '\u0000';
/** How JSON.stringify writes U+0000 inside a string. */
const NUL_ESCAPE = '\\u0000';

/**
 * Removes U+0000 from every string and every object key in `value`, at any depth. Postgres
 * rejects that character in `text` and in `jsonb` (`unsupported Unicode escape sequence`).
 *
 * Copy-on-write: when nothing is found, `value` itself is returned (no allocation beyond the
 * result); otherwise only the arrays and plain objects on the path to a change are copied, and the
 * input is never mutated. If removing NUL makes two keys of one object equal, the later key wins,
 * as in JSON. Values that are neither strings, arrays nor plain objects (numbers, Dates, ...) are
 * kept as they are.
 *
 * @returns the cleaned value and how many U+0000 characters were removed.
 */
export function stripNul<T>(value: T): { value: T; removed: number } {
  const counter = { removed: 0 };
  const cleaned = strip(value, counter) as T;
  return { value: cleaned, removed: counter.removed };
}

/**
 * Fast pre-check on serialized JSON (or any text): true when it holds a raw U+0000 or the JSON
 * escape `\u0000` (a backslash-u-0000 that is itself an escaped backslash, `\\u0000`, does not
 * count). When false, {@link stripNul} on the parsed value would find nothing.
 */
export function containsNul(json: string): boolean {
  if (json.indexOf(NUL) !== -1) return true;
  for (let at = json.indexOf(NUL_ESCAPE); at !== -1; at = json.indexOf(NUL_ESCAPE, at + 1)) {
    let backslashes = 0;
    while (at - backslashes - 1 >= 0 && json.charCodeAt(at - backslashes - 1) === 92) backslashes++;
    if (backslashes % 2 === 0) return true;
  }
  return false;
}

interface Counter {
  removed: number;
}

function strip(value: unknown, counter: Counter): unknown {
  if (typeof value === 'string') return stripString(value, counter);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return stripArray(value, counter);
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  return stripObject(value as Record<string, unknown>, counter);
}

function stripString(value: string, counter: Counter): string {
  let at = value.indexOf(NUL);
  if (at === -1) return value;
  while (at !== -1) {
    counter.removed++;
    at = value.indexOf(NUL, at + 1);
  }
  return value.replaceAll(NUL, '');
}

function stripArray(value: readonly unknown[], counter: Counter): readonly unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < value.length; i++) {
    const item = value[i];
    const cleaned = strip(item, counter);
    if (copy === undefined && !Object.is(cleaned, item)) copy = value.slice(0, i);
    if (copy !== undefined) copy.push(cleaned);
  }
  return copy ?? value;
}

function stripObject(value: Record<string, unknown>, counter: Counter): Record<string, unknown> {
  const keys = Object.keys(value);
  let copy: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const item = value[key];
    const cleanKey = stripString(key, counter);
    const cleaned = strip(item, counter);
    if (copy === undefined && (cleanKey !== key || !Object.is(cleaned, item))) {
      copy = {};
      for (let j = 0; j < i; j++) {
        const earlier = keys[j] as string;
        setOwn(copy, earlier, value[earlier]);
      }
    }
    if (copy !== undefined) setOwn(copy, cleanKey, cleaned);
  }
  return copy ?? value;
}

/** Plain assignment, except that a key named `__proto__` becomes a data property, as in JSON.parse. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
