// Every object the sources delivered, by kind and key, and the one question that saves work:
// could this change alter the route table? Objects are always stored (a later snapshot shows the
// newest status), but a change that only touches status or bookkeeping metadata does not count,
// so the controller's own status writes can never trigger a rebuild loop.

import type { KubeObject, ObjectKind } from '../core/model.ts';
import { objectKey } from '../core/model.ts';
import type { Snapshot } from '../core/snapshot.ts';
import type { ObjectChange } from '../sources/object-change.ts';
import { isRelevantUpdate } from './relevance.ts';

export const OBJECT_KINDS: readonly ObjectKind[] = ['Ingress', 'IngressClass', 'Service', 'EndpointSlice', 'Secret'];

export interface ObjectStore {
  /** Applies a change; true when it could change the route table (a rebuild is needed). */
  apply(change: ObjectChange): boolean;
  /** A consistent copy of everything stored, for one build. */
  snapshot(): Snapshot;
  /** Objects stored per kind (for metrics and /debug). */
  counts(): Record<ObjectKind, number>;
}

export function createObjectStore(): ObjectStore {
  const byKind = new Map<ObjectKind, Map<string, KubeObject>>(OBJECT_KINDS.map((k) => [k, new Map()]));
  const bucket = (kind: ObjectKind): Map<string, KubeObject> => byKind.get(kind)!;

  const upsert = (object: KubeObject): boolean => {
    const objects = bucket(object.kind);
    const key = objectKey(object.metadata);
    const previous = objects.get(key);
    objects.set(key, object);
    return previous === undefined || isRelevantUpdate(previous, object);
  };

  const replaceAll = (kinds: readonly ObjectKind[], incoming: KubeObject[]): boolean => {
    let changed = false;
    const next = new Map<ObjectKind, Map<string, KubeObject>>(kinds.map((k) => [k, new Map()]));
    for (const object of incoming) {
      const target = next.get(object.kind);
      // An object of a kind outside `kinds` is not part of this replacement; ignoring it keeps
      // one source's relist from touching kinds it does not own.
      if (target !== undefined) target.set(objectKey(object.metadata), object);
    }
    for (const [kind, objects] of next) {
      const current = bucket(kind);
      for (const [key, object] of objects) {
        const previous = current.get(key);
        if (previous === undefined || isRelevantUpdate(previous, object)) changed = true;
      }
      for (const key of current.keys()) if (!objects.has(key)) changed = true;
      byKind.set(kind, objects);
    }
    return changed;
  };

  return {
    apply(change) {
      switch (change.type) {
        case 'upsert':
          return upsert(change.object);
        case 'delete':
          return bucket(change.kind).delete(change.key);
        case 'replaceAll':
          return replaceAll(change.kinds, change.objects);
        case 'synced':
        case 'sourceDiagnostics':
          return false;
      }
    },
    snapshot() {
      // Copies: a build reads a stable view even if changes arrive while it runs.
      return {
        ingresses: new Map(bucket('Ingress')) as Snapshot['ingresses'],
        ingressClasses: new Map(bucket('IngressClass')) as Snapshot['ingressClasses'],
        services: new Map(bucket('Service')) as Snapshot['services'],
        endpointSlices: new Map(bucket('EndpointSlice')) as Snapshot['endpointSlices'],
        secrets: new Map(bucket('Secret')) as Snapshot['secrets'],
      };
    },
    counts() {
      const out = {} as Record<ObjectKind, number>;
      for (const kind of OBJECT_KINDS) out[kind] = bucket(kind).size;
      return out;
    },
  };
}
