/**
 * Parses an env file exactly as `docker run --env-file` does (docker/cli opts/file.go, parseKeyValueFile):
 * a UTF-8 BOM is dropped; each line has its leading whitespace removed; blank lines and lines starting with `#`
 * are skipped; `KEY=VALUE` is split at the first `=` and VALUE is taken literally (no quote stripping, no inline
 * comments, trailing spaces kept); a line `KEY` alone takes the host's value, or is left out when the host has
 * none. A KEY with whitespace in it is an error, as in Docker.
 */
export function parseDockerEnvFile(text: string, hostEnv: Readonly<Record<string, string | undefined>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/); // bufio.ScanLines drops a trailing CR
  lines.forEach((raw, index) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const equals = line.indexOf('=');
    const key = equals === -1 ? line : line.slice(0, equals);
    if (key === '') throw new Error(`line ${index + 1}: no variable name`);
    if (/\s/.test(key)) throw new Error(`line ${index + 1}: variable '${key}' contains whitespaces`);
    if (equals !== -1) env[key] = line.slice(equals + 1);
    else if (hostEnv[key] !== undefined) env[key] = hostEnv[key];
  });
  return env;
}
