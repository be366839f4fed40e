// Logs diagnostics as they appear and disappear, not on every rebuild: a bad Ingress is reported
// once when it shows up (and again only if it changes), and its fix is noted once. The log level
// follows the severity (error → error, warning → warn, info → info). A diagnostic whose message
// changed is logged again as it now reads, and not also as "resolved": only a diagnostic with no
// successor on the same object, field and code is resolved.

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
      const subjects = new Set<string>();
      for (const d of current) {
        next.set(keyOf(d), d);
        subjects.add(subjectOf(d));
      }
      for (const [key, d] of next) {
        if (known.has(key)) continue;
        const fields = {
          code: d.code,
          severity: d.severity,
          object: objectName(d),
          ...(d.field === undefined ? {} : { field: d.field }),
          detail: d.message,
        };
        if (d.severity === 'error') logger.error('diagnostic', fields);
        else if (d.severity === 'warning') logger.warn('diagnostic', fields);
        else logger.info('diagnostic', fields);
      }
      for (const [key, d] of known) {
        if (next.has(key) || subjects.has(subjectOf(d))) continue;
        logger.info('diagnostic resolved', { code: d.code, object: objectName(d), ...(d.field === undefined ? {} : { field: d.field }) });
      }
      known = next;
    },
  };
}

function objectName(d: Diagnostic): string {
  return d.object.namespace === '' ? `${d.object.kind}/${d.object.name}` : `${d.object.kind}/${d.object.namespace}/${d.object.name}`;
}

function keyOf(d: Diagnostic): string {
  return JSON.stringify([d.code, d.severity, d.object.kind, d.object.namespace, d.object.name, d.field ?? '', d.message]);
}

/** What a diagnostic is about, whatever it says: a changed message is the same diagnostic. */
function subjectOf(d: Diagnostic): string {
  return JSON.stringify([d.code, d.object.kind, d.object.namespace, d.object.name, d.field ?? '']);
}
