/** A query value as `qs` produces it: a string, an array or a one-level object. */
export type QueryValue = string | QueryValue[] | { [key: string]: QueryValue };

/** A parsed query string. */
export type ParsedQuery = Record<string, QueryValue>;

const ARRAY_LIMIT = 100;
const PARAMETER_LIMIT = 1000;
const BRACKET_KEY = /^([^[\]]+)\[([^[\]]*)\]$/;

/**
 * The part of `qs.parse(str, { arrayLimit: 100 })` that Nango's public API relies on:
 * repeated keys combine into an array (`ids=a&ids=b`), `k[]=v` and `k[0]=v` build arrays,
 * `tags[k]=v` builds an object, `+` is a space. Keys that shadow Object.prototype are ignored.
 */
export function parseQueryString(search: string): ParsedQuery {
  const result: ParsedQuery = {};
  const pairs = search.replace(/^\?/, '').split('&').slice(0, PARAMETER_LIMIT);
  for (const pair of pairs) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decode(pair.slice(eq + 1));
    const bracket = BRACKET_KEY.exec(rawKey);
    if (!bracket) {
      assign(result, rawKey, value);
      continue;
    }
    const [, base = '', inner = ''] = bracket;
    if (inner === '' || isArrayIndex(inner)) assign(result, base, [value]);
    else assignNested(result, base, inner, value);
  }
  return result;
}

function assign(target: ParsedQuery, key: string, value: QueryValue): void {
  if (key === '' || key in Object.prototype) return;
  const existing = target[key];
  if (existing === undefined) target[key] = value;
  else if (Array.isArray(existing)) target[key] = existing.concat(value);
  else if (typeof existing === 'string') target[key] = [existing, ...(Array.isArray(value) ? value : [value])];
  else if (typeof value === 'string') existing[String(Object.keys(existing).length)] = value;
}

function assignNested(target: ParsedQuery, base: string, key: string, value: string): void {
  if (base in Object.prototype || key in Object.prototype) return;
  const existing = target[base];
  if (existing === undefined) {
    target[base] = { [key]: value };
  } else if (Array.isArray(existing) || typeof existing === 'string') {
    // qs turns the array into an object keyed by index and adds the new key.
    const asObject: Record<string, QueryValue> = Object.fromEntries([existing].flat().map((v, i) => [String(i), v]));
    asObject[key] = value;
    target[base] = asObject;
  } else {
    const current = existing[key];
    existing[key] = current === undefined ? value : [current].flat().concat(value);
  }
}

function isArrayIndex(inner: string): boolean {
  return /^\d+$/.test(inner) && Number(inner) <= ARRAY_LIMIT;
}

function decode(text: string): string {
  const spaced = text.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    // qs keeps malformed percent-encoding as it is.
    return spaced;
  }
}
