import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkIngressHost } from '../../src/core/check-ingress-host.ts';

const VALID: [input: string, normalised: string][] = [
  ['foo.bar.com', 'foo.bar.com'],
  ['Foo.Bar.COM', 'foo.bar.com'],
  ['*.foo.com', '*.foo.com'],
  ['*.COM', '*.com'],
  ['localhost', 'localhost'],
  ['a-b.c-d.example', 'a-b.c-d.example'],
  ['1.2.3.4.example.com', '1.2.3.4.example.com'],
  ['999.1.1.1', '999.1.1.1'], // not an IP address, so a (strange) valid DNS name
  [`${'a'.repeat(63)}.com`, `${'a'.repeat(63)}.com`],
];

const INVALID: [input: string, reason: RegExp][] = [
  ['*', /wildcard needs a suffix/],
  ['*.', /wildcard needs a suffix/],
  ['', /DNS name/],
  ['1.2.3.4', /IP addresses are not allowed/],
  ['*.1.2.3.4', /IP addresses/],
  ['::1', /":"/],
  ['[::1]', /":"/],
  ['foo.com:80', /":"/],
  ['foo.*.com', /whole first label/],
  ['*foo.com', /whole first label/],
  ['**.foo.com', /whole first label/],
  ['-foo.com', /label/],
  ['foo-.com', /label/],
  ['foo..com', /label/],
  ['foo.com.', /label/],
  ['foo_bar.com', /label/],
  ['foo bar.com', /label/],
  ['foo.com\r\nX: y', /":"/],
  ['foo.com\r\nx-y', /label/],
  ['foo\u0000.com', /label/],
  ['bücher.example', /label/],
  [`${'a'.repeat(64)}.com`, /1-63/],
  [`${'a.'.repeat(127)}com`, /at most 253/],
];

for (const [input, normalised] of VALID) {
  test(`valid host ${JSON.stringify(input)}`, () => {
    assert.deepEqual(checkIngressHost(input), { ok: true, host: normalised });
  });
}

for (const [input, reason] of INVALID) {
  test(`invalid host ${JSON.stringify(input.slice(0, 40))}`, () => {
    const result = checkIngressHost(input);
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.reason, reason);
  });
}
