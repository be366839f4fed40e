// A canary Ingress contributes its paths and its canary annotations, nothing else: its other
// annotations and its spec.defaultBackend are ignored with a warning, so a canary can never weaken
// (or change) the protections of the Ingress whose traffic it takes. ingress-nginx does the same
// for location settings; its upstream settings (load balancing, affinity) it keeps per backend, so
// a canary's own would balance the canary's side there: here the main Ingress's balance both sides.

import { GATEHOUSE_PREFIX, NGINX_PREFIX } from '../annotations/annotation-schema.ts';
import { CANARY_KEYS } from '../annotations/parse-canary.ts';
import { matchProtection } from '../annotations/protection-annotations.ts';
import type { Diagnostic } from '../diagnostics.ts';
import { makeDiagnostic } from '../diagnostic-codes.ts';
import { objectKey, type Ingress } from '../model.ts';
import { objectRef } from '../object-ref.ts';
import { quoteValue } from '../quote-value.ts';

/** CanarySettingIgnored for each setting of a canary Ingress that Gatehouse does not apply. */
export function ignoredCanarySettings(ingress: Ingress): Diagnostic[] {
  const object = objectRef(ingress);
  const self = objectKey(ingress.metadata);
  const diagnostics: Diagnostic[] = [];
  const annotations = ingress.metadata.annotations;
  for (const key of Object.keys(annotations).sort()) {
    if (CANARY_KEYS.has(key)) continue;
    const controller = key.startsWith(NGINX_PREFIX) || key.startsWith(GATEHOUSE_PREFIX) || matchProtection(key, annotations[key]!) !== undefined;
    if (!controller) continue;
    diagnostics.push(makeDiagnostic('CanarySettingIgnored', object, `metadata.annotations[${quoteValue(key)}]`, `${quoteValue(key)} is ignored: ${self} is a canary, and canary requests get the policy of the main Ingress they split${balancing(key) ? ' (ingress-nginx would balance the canary\'s backend with its own setting: Gatehouse uses the main Ingress\'s for both sides)' : ', as in ingress-nginx'}`));
  }
  if (ingress.spec.defaultBackend !== undefined) {
    diagnostics.push(makeDiagnostic('CanarySettingIgnored', object, 'spec.defaultBackend', `spec.defaultBackend is ignored: ${self} is a canary, which only splits the paths of its main Ingress`));
  }
  return diagnostics;
}

/**
 * Settings ingress-nginx keeps per upstream rather than per location, so a canary's own apply to
 * its backend there (controller.go); Gatehouse applies the main Ingress's to both sides.
 */
function balancing(key: string): boolean {
  const name = key.slice(key.indexOf('/') + 1);
  return name === 'load-balance' || name.startsWith('upstream-hash-by') || name === 'affinity' || name === 'affinity-mode' || name === 'affinity-canary-behavior' || name.startsWith('session-cookie-');
}

/** The Ingress as the default-backend step sees it: a canary's spec.defaultBackend does not exist. */
export function withoutDefaultBackend(ingress: Ingress): Ingress {
  if (ingress.spec.defaultBackend === undefined) return ingress;
  const { defaultBackend: _ignored, ...spec } = ingress.spec;
  void _ignored;
  return { ...ingress, spec };
}
