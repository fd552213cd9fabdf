import type { Reply } from './http-reply.js';

const INDEX_HTML =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Nango</title></head><body><div id="root"></div></body></html>';

/**
 * What an unknown path gets: the web app's `index.html` with 200 for GET (Nango's static
 * catch-all), Express's default HTML 404 for other methods.
 */
export function fallbackPage(method: string, path: string): Reply {
  if (method === 'GET' || method === 'HEAD') return { status: 200, body: INDEX_HTML };
  const escaped = path.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return {
    status: 404,
    body: `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot ${method} ${escaped}</pre>\n</body>\n</html>\n`,
    headers: { 'Content-Security-Policy': "default-src 'none'", 'X-Content-Type-Options': 'nosniff' },
  };
}
