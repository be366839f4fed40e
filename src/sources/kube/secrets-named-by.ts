// The Secrets one Ingress names, as 'ns/name' keys for the Kubernetes source to read: those its
// annotations name (core/annotations/annotation-secret-refs.ts) and its tls entries' secretName
// (so a tls Secret of the wrong type is read, and reported as such, rather than missing). A
// Secret in another namespace is only read with --allow-cross-namespace-secrets (without it the
// builder refuses the Ingress anyway, so there is nothing to read it for), and only in a
// namespace Gatehouse watches.

import { annotationSecretRefs } from '../../core/annotations/annotation-secret-refs.ts';
import type { Ingress } from '../../core/model.ts';

export interface SecretsNamedByOptions {
  allowCrossNamespace: boolean;
  /** Whether Secrets of this namespace are read at all (--watch-namespace). */
  readable(namespace: string): boolean;
}

/** Sorted, without duplicates. */
export function secretsNamedBy(ingress: Ingress, options: SecretsNamedByOptions): string[] {
  const own = ingress.metadata.namespace;
  const keys = new Set<string>();
  for (const ref of annotationSecretRefs(ingress)) {
    if (ref.namespace !== own && !options.allowCrossNamespace) continue;
    if (!options.readable(ref.namespace)) continue;
    keys.add(`${ref.namespace}/${ref.name}`);
  }
  for (const tls of ingress.spec.tls ?? []) {
    if (tls.secretName !== undefined && tls.secretName !== '' && !tls.secretName.includes('/')) keys.add(`${own}/${tls.secretName}`);
  }
  return [...keys].sort();
}
