import type { StreamRule } from '../config/replicator-config.js';

/** Whether a rule follows variants other than the plain sync (`variants` absent or `*`, or a list naming one). */
export function followsVariantsRule(rule: StreamRule): boolean {
  return rule.variants === undefined || rule.variants === '*' || rule.variants.some((v) => v !== 'base');
}

/** The integrations with `detection: syncStatus`: one `GET /sync/status` each per `syncStatus.every`. */
export function hintedIntegrations(rules: ReadonlyArray<StreamRule>): string[] {
  return [...new Set(rules.filter((rule) => rule.detection === 'syncStatus').map((rule) => rule.integration))];
}

/**
 * The integrations whose variants are looked up on their own, one `GET /sync/status` each per `variants.every`: those
 * with a rule following variants, except the hinted ones (the hints' listings record their variants).
 */
export function variantLookupIntegrations(rules: ReadonlyArray<StreamRule>): string[] {
  const hinted = new Set(hintedIntegrations(rules));
  return [...new Set(rules.filter(followsVariantsRule).map((rule) => rule.integration))].filter((i) => !hinted.has(i));
}
