import { escapeHtml } from './escape-html.js';
import { formatCountOf } from '../util/format-count.js';

const BAR_WIDTH = 5;
const GAP = 1;
const HEIGHT = 24;

/**
 * Records per hour as an inline SVG bar chart (no script, no external asset): one bar per hour, oldest on the
 * left, scaled to the busiest hour; an hour with records always shows at least one pixel. Each bar has a
 * tooltip with its count.
 */
export function renderSparkline(recordsPerHour: ReadonlyArray<number>): string {
  const max = Math.max(0, ...recordsPerHour);
  const total = recordsPerHour.reduce((sum, n) => sum + n, 0);
  const width = recordsPerHour.length * (BAR_WIDTH + GAP) - GAP;
  const bars = recordsPerHour.map((n, i) => {
    const h = n === 0 || max === 0 ? 0 : Math.max(1, Math.round((n / max) * HEIGHT));
    const ago = recordsPerHour.length - 1 - i;
    const label = `${formatCountOf(n, 'record')}, ${ago === 0 ? 'last 60 min' : `${ago}-${ago + 1} h ago`}`;
    return `<rect class="bar" x="${i * (BAR_WIDTH + GAP)}" y="${HEIGHT - h}" width="${BAR_WIDTH}" height="${h}"><title>${escapeHtml(label)}</title></rect>`;
  });
  const summary = `${formatCountOf(total, 'record')} in the last ${recordsPerHour.length} h`;
  return (
    `<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT}" viewBox="0 0 ${width} ${HEIGHT}" role="img" aria-label="${escapeHtml(summary)}">` +
    `<line class="axis" x1="0" y1="${HEIGHT - 0.5}" x2="${width}" y2="${HEIGHT - 0.5}"/>${bars.join('')}</svg>`
  );
}
