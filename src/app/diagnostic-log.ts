// Logs diagnostics as they appear and disappear, not on every rebuild: a bad Ingress is reported
// once when it shows up (and again only if it changes), and its fix is noted once.

import type { Diagnostic } from '../core/diagnostics.ts';
import type { Logger } from '../observability/logger.ts';

export interface DiagnosticLog {
  /** The full current set; logs what is new since the last call, and what went away. */
  update(current: readonly Diagnostic[]): void;
}

export function createDiagnosticLog(logger: Logger): DiagnosticLog {
  let known = new Map<string, Diagnostic>();
  return {
    update(current) {
      const next = new Map<string, Diagnostic>();
      for (const d of current) next.set(keyOf(d), d);
      for (const [key, d] of next) {
        if (known.has(key)) continue;
        const fields = {
          code: d.code,
          severity: d.severity,
          object: d.object.namespace === '' ? `${d.object.kind}/${d.object.name}` : `${d.object.kind}/${d.object.namespace}/${d.object.name}`,
          ...(d.field === undefined ? {} : { field: d.field }),
          detail: d.message,
        };
        if (d.severity === 'info') logger.info('diagnostic', fields);
        else logger.warn('diagnostic', fields);
      }
      for (const [key, d] of known) {
        if (!next.has(key)) logger.info('diagnostic resolved', { code: d.code, object: `${d.object.kind}/${d.object.namespace}/${d.object.name}`, ...(d.field === undefined ? {} : { field: d.field }) });
      }
      known = next;
    },
  };
}

function keyOf(d: Diagnostic): string {
  return JSON.stringify([d.code, d.severity, d.object.kind, d.object.namespace, d.object.name, d.field ?? '', d.message]);
}
