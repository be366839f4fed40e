// A canary Ingress contributes its paths and its canary annotations, nothing else (as ingress-nginx
// does): its other annotations and its spec.defaultBackend are ignored with a warning, so a canary
// can never weaken (or change) the protections of the Ingress whose traffic it takes.

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
    diagnostics.push(makeDiagnostic('CanarySettingIgnored', object, `metadata.annotations[${quoteValue(key)}]`, `${quoteValue(key)} is ignored: ${self} is a canary, and canary requests get the policy of the main Ingress they split, as in ingress-nginx`));
  }
  if (ingress.spec.defaultBackend !== undefined) {
    diagnostics.push(makeDiagnostic('CanarySettingIgnored', object, 'spec.defaultBackend', `spec.defaultBackend is ignored: ${self} is a canary, which only splits the paths of its main Ingress`));
  }
  return diagnostics;
}

/** The Ingress as the default-backend step sees it: a canary's spec.defaultBackend does not exist. */
export function withoutDefaultBackend(ingress: Ingress): Ingress {
  if (ingress.spec.defaultBackend === undefined) return ingress;
  const { defaultBackend: _ignored, ...spec } = ingress.spec;
  void _ignored;
  return { ...ingress, spec };
}
