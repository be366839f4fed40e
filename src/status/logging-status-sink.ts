// Manifest mode's StatusSink: there is no API to write to and no address to publish, so nothing is
// written; which Ingresses are admitted is traced at debug level, once per change. (An info line
// "would publish address" misled: there is no address, and nothing would be published.)

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
            // Debug: in manifest mode there is no address and no API; this only traces admission.
            log.debug(admitted ? 'Ingress admitted (manifest mode: no status is written)' : 'Ingress not ours (manifest mode: no status is written)', { ingress, admitted });
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
