// Which Secrets an Ingress's annotations name. The Kubernetes source reads exactly these (and the
// tls Secrets), so a Secret no Ingress names never reaches memory. A new annotation that names a
// Secret is one more entry in SECRET_ANNOTATIONS. Values that are not `name` or `namespace/name`
// are left out here; the annotation's own resolver reports them (and refuses the Ingress).

import type { Ingress } from '../model.ts';
import { GATEHOUSE_PREFIX, NGINX_PREFIX } from './annotation-schema.ts';

/** Annotation names (without prefix) whose value names a Secret. */
const SECRET_ANNOTATIONS: readonly string[] = ['auth-secret', 'auth-tls-secret', 'proxy-ssl-secret'];

export interface AnnotationSecretRef {
  namespace: string;
  name: string;
  /** The full annotation key that names it. */
  annotation: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The Secrets named by `auth-secret`, `auth-tls-secret` and `proxy-ssl-secret` under both the
 * nginx.ingress.kubernetes.io/ and gatehouse.dev/ prefixes: `name` is in the Ingress's namespace,
 * `namespace/name` anywhere (whether another namespace is allowed is the resolver's decision).
 * Sorted by annotation key, one entry per key. */
export function annotationSecretRefs(ingress: Ingress): AnnotationSecretRef[] {
  const annotations = ingress.metadata.annotations;
  const out: AnnotationSecretRef[] = [];
  for (const prefix of [GATEHOUSE_PREFIX, NGINX_PREFIX]) {
    for (const suffix of SECRET_ANNOTATIONS) {
      const annotation = `${prefix}${suffix}`;
      if (!Object.hasOwn(annotations, annotation)) continue;
      const ref = parseSecretName(annotations[annotation]!, ingress.metadata.namespace);
      if (ref !== undefined) out.push({ ...ref, annotation });
    }
  }
  return out.sort((a, b) => (a.annotation < b.annotation ? -1 : a.annotation > b.annotation ? 1 : 0));
}

/** `name` or `namespace/name`, as ingress-nginx reads them; undefined when it is neither. */
export function parseSecretName(text: string, defaultNamespace: string): { namespace: string; name: string } | undefined {
  const parts = text.trim().split('/');
  if (parts.length > 2) return undefined;
  const [namespace, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [defaultNamespace, parts[0]!];
  if (!DNS_LABEL.test(namespace) || name.length > 253 || !DNS_SUBDOMAIN.test(name)) return undefined;
  return { namespace, name };
}
