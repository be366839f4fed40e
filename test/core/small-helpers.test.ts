// The small shared helpers of the core: quoting tenant text, diagnostic ordering and de-duplication.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeDiagnostic } from '../../src/core/diagnostic-codes.ts';
import { finishDiagnostics } from '../../src/core/finish-diagnostics.ts';
import { quoteValue } from '../../src/core/quote-value.ts';

test('quoteValue escapes controls and cuts long text', () => {
  assert.equal(quoteValue('a\r\nb\u0000'), '"a\\r\\nb\\u0000"');
  const long = quoteValue('x'.repeat(500));
  assert.ok(long.length < 100);
  assert.match(long, /…"$/);
});

test('finishDiagnostics sorts by object, field, code, message and drops exact duplicates', () => {
  const a = { kind: 'Ingress', namespace: 'ns', name: 'a' };
  const b = { kind: 'Ingress', namespace: 'ns', name: 'b' };
  const slice = { kind: 'EndpointSlice', namespace: 'ns', name: 's' };
  const input = [
    makeDiagnostic('PathInvalid', b, 'spec.rules[0]', 'm'),
    makeDiagnostic('HostInvalid', a, 'spec.rules[1].host', 'm'),
    makeDiagnostic('EndpointAddressInvalid', slice, 'endpoints[0]', 'm'),
    makeDiagnostic('HostInvalid', a, 'spec.rules[0].host', 'm'),
    makeDiagnostic('EndpointAddressInvalid', slice, 'endpoints[0]', 'm'),
  ];
  assert.deepEqual(
    finishDiagnostics(input).map((d) => `${d.object.kind} ${d.object.name} ${d.field ?? ''} ${d.code}`),
    ['EndpointSlice s endpoints[0] EndpointAddressInvalid', 'Ingress a spec.rules[0].host HostInvalid', 'Ingress a spec.rules[1].host HostInvalid', 'Ingress b spec.rules[0] PathInvalid'],
  );
});
