// The ObjectRef a diagnostic is attached to, from any Kubernetes object we model.

import type { ObjectRef } from './diagnostics.ts';
import type { KubeObject } from './model.ts';

export function objectRef(object: Pick<KubeObject, 'kind' | 'metadata'>): ObjectRef {
  return { kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name };
}
