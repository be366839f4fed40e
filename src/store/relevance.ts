// Whether an update can matter to the route table: everything counts except bookkeeping the
// builder never reads. Status is excluded so our own status writes (and a load balancer's) do
// not rebuild; resourceVersion changes on every write, even a status-only one.

import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../core/model.ts';

export function isRelevantUpdate(previous: KubeObject, next: KubeObject): boolean {
  return !isDeepStrictEqual(comparable(previous), comparable(next));
}

function comparable(object: KubeObject): unknown {
  // managedFields is never in the typed model (the normaliser drops it); listed here so the rule
  // reads in full even if the model grows.
  const { resourceVersion: _rv, ...metadata } = object.metadata as KubeObject['metadata'] & { managedFields?: unknown };
  delete (metadata as { managedFields?: unknown }).managedFields;
  const { status: _status, ...rest } = object as KubeObject & { status?: unknown };
  return { ...rest, metadata };
}
