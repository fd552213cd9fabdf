const UNDERSCORE = '_';

/** 0 = not an ASCII letter or digit, 1 = lowercase letter, 2 = uppercase letter, 3 = digit. */
function charClass(code: number): 0 | 1 | 2 | 3 {
  if (code >= 97 && code <= 122) return 1;
  if (code >= 65 && code <= 90) return 2;
  if (code >= 48 && code <= 57) return 3;
  return 0;
}

/**
 * Converts a name to snake_case made only of `[a-z0-9_]`.
 *
 * - A word starts at an uppercase letter that follows a lowercase letter or digit (`userID` ->
 *   `user_id`), and at the last capital of an acronym followed by lowercase (`HTMLUrl` -> `html_url`).
 * - Every character that is not an ASCII letter or digit (punctuation, spaces, quotes, any
 *   non-ASCII character) is a separator; runs of separators become one `_`; leading and trailing
 *   separators are dropped (`__a--b__` -> `a_b`).
 * - The result may be empty (`''`, `'!!!'`, `'名前'`) or start with a digit; {@link assignIdentifier}
 *   turns those into usable identifiers. No length cap is applied here.
 *
 * Runs in one linear pass, so hostile inputs (huge names, long capital runs) stay cheap.
 */
export function toSnakeCase(name: string): string {
  let out = '';
  let pendingSeparator = false;
  for (let i = 0; i < name.length; i++) {
    const kind = charClass(name.charCodeAt(i));
    if (kind === 0) {
      pendingSeparator = true;
      continue;
    }
    if (kind === 2 && !pendingSeparator && i > 0) {
      const previous = charClass(name.charCodeAt(i - 1));
      const next = charClass(name.charCodeAt(i + 1));
      if (previous === 1 || previous === 3 || (previous === 2 && next === 1)) pendingSeparator = true;
    }
    if (pendingSeparator && out.length > 0) out += UNDERSCORE;
    pendingSeparator = false;
    out += kind === 2 ? String.fromCharCode(name.charCodeAt(i) + 32) : name[i];
  }
  return out;
}
