// Diagnostics in the log: at the level their severity says, once when they appear, once when they
// are resolved, and a diagnostic whose message changed is logged as it now reads, not "resolved".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from '../../src/core/diagnostics.ts';
import { makeDiagnostic } from '../../src/core/diagnostic-codes.ts';
import { createDiagnosticLog } from '../../src/app/diagnostic-log.ts';
import { createLogger } from '../../src/observability/logger.ts';

function setup() {
  const lines: Record<string, unknown>[] = [];
  const log = createDiagnosticLog(createLogger({ level: 'debug', write: (l) => void lines.push(JSON.parse(l) as Record<string, unknown>) }));
  return { log, lines, summary: () => lines.splice(0).map((l) => `${String(l.level)} ${String(l.msg)} ${String(l.code)}`) };
}

const web = { kind: 'Ingress', namespace: 'default', name: 'web' };
const missing = (service: string): Diagnostic => makeDiagnostic('BackendServiceNotFound', web, 'spec.rules[0].http.paths[0].backend', `Service "${service}" not found`);
const expired = makeDiagnostic('TLSCertificateExpired', web, 'spec.tls[0]', 'expired');
const otherClass = makeDiagnostic('IngressClassOtherController', web, 'spec.ingressClassName', 'served by another controller');

test('the level follows the severity: error → error, warning → warn, info → info', () => {
  const h = setup();
  h.log.update([missing('a'), expired, otherClass]);
  assert.deepEqual(h.summary().sort(), ['error diagnostic BackendServiceNotFound', 'info diagnostic IngressClassOtherController', 'warn diagnostic TLSCertificateExpired']);
  h.log.update([missing('a'), expired, otherClass]);
  assert.deepEqual(h.summary(), [], 'nothing again while unchanged');
});

test('a changed message is logged as it now reads, and not also as resolved; a fix is resolved once', () => {
  const h = setup();
  h.log.update([missing('a')]);
  h.summary();
  h.log.update([missing('b')]);
  const changed = h.lines.slice();
  assert.deepEqual(h.summary(), ['error diagnostic BackendServiceNotFound']);
  assert.equal(changed[0]!.detail, 'Service "b" not found');
  h.log.update([]);
  assert.deepEqual(h.summary(), ['info diagnostic resolved BackendServiceNotFound']);
});
