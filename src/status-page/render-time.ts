import { escapeHtml } from './escape-html.js';

/** A `<time>` element for instant `at`, showing `text` (e.g. `5 min ago`) with the exact instant as its tooltip. */
export function renderTime(at: Date, text: string): string {
  return `<time datetime="${at.toISOString()}" title="${at.toISOString()}">${escapeHtml(text)}</time>`;
}
