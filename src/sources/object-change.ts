// The one stream every source emits. Both the manifest source and the Kubernetes source
// speak only this, so everything downstream is shared.

import type { Diagnostic } from '../core/diagnostics.ts';
import type { KubeObject, ObjectKind } from '../core/model.ts';

export type ObjectChange =
  | { type: 'upsert'; object: KubeObject }
  | { type: 'delete'; kind: ObjectKind; key: string } // key: 'ns/name' (objectKey)
  /** Replace every object of these kinds (a relist, or a manifest reload). */
  | { type: 'replaceAll'; kinds: readonly ObjectKind[]; objects: KubeObject[] }
  /** The source has delivered its first full view. */
  | { type: 'synced' }
  /** Problems found while reading input (bad YAML, unknown kinds, legacy conversions). */
  | { type: 'sourceDiagnostics'; origin: string; diagnostics: Diagnostic[] };

export interface ClusterStateSource {
  /** Starts delivering changes; resolves once started (not necessarily synced). */
  start(onChange: (change: ObjectChange) => void): Promise<void>;
  stop(): Promise<void>;
}
