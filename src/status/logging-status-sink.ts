// Manifest mode's StatusSink: there is no API to write to, so the status Gatehouse would publish
// is logged instead, once per change rather than on every rebuild.

import type { Logger } from '../observability/logger.ts';
import type { StatusSink } from './status-sink.ts';

export function createLoggingStatusSink(logger: Logger): StatusSink {
  const log = logger.child({ component: 'status' });
  let last = new Map<string, boolean>();
  return {
    update(result) {
      try {
        const next = new Map<string, boolean>();
        for (const intent of result.status) next.set(intent.ingress, intent.admitted);
        for (const [ingress, admitted] of next) {
          if (last.get(ingress) !== admitted) {
            log.info(admitted ? 'would publish address on Ingress' : 'would clear our address from Ingress', { ingress, admitted });
          }
        }
        for (const ingress of last.keys()) {
          if (!next.has(ingress)) log.debug('Ingress gone from status intents', { ingress });
        }
        last = next;
      } catch {
        // A logging failure must never break a build (StatusSink contract: never throws).
      }
    },
    async stop() {},
  };
}
