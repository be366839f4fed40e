// Where each build's status intents and diagnostics go besides the data plane:
// in manifest mode a logger of intended status; in Kubernetes mode the leader-only
// status writer and the Event recorder.

import type { Diagnostic } from '../core/diagnostics.ts';
import type { IngressStatusIntent } from '../core/route-table.ts';

export interface StatusSink {
  /** Called after every applied build; must not block and must not throw. */
  update(result: { status: IngressStatusIntent[]; diagnostics: Diagnostic[] }): void;
  stop(): Promise<void>;
}
