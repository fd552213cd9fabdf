import { buildScriptsConfig } from './scripts-config.js';
import type { RouteHandler } from './route-handler.js';

/**
 * GET /scripts/config (docs/nango-api.md 4). The query is not validated; `format=openai` answers
 * `{"data":[...]}` function descriptions instead of the array.
 */
export const scriptsConfigRoute: RouteHandler = (request, { store }) => {
  const configs = buildScriptsConfig(store.listSyncs());
  if (request.query['format'] !== 'openai') return { status: 200, body: configs };
  const data = configs.flatMap((config) =>
    config.syncs.map((sync) => ({
      name: sync['name'],
      description: sync['description'] || `Execute the ${String(sync['name'])} sync for ${config.provider}`,
      parameters: { type: 'object', properties: {}, required: [] },
    })),
  );
  return { status: 200, body: { data } };
};
