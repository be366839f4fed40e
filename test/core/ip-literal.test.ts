import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isIPv4Literal, isIPv6Literal } from '../../src/core/ip-literal.ts';

test('IPv4 literals', () => {
  for (const yes of ['0.0.0.0', '10.0.0.1', '255.255.255.255', '127.0.0.1']) assert.equal(isIPv4Literal(yes), true, yes);
  for (const no of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.-4', 'a.b.c.d', '', '1.2.3.4 ', '1..3.4']) assert.equal(isIPv4Literal(no), false, no);
});

test('IPv6 literals', () => {
  const yes = ['::', '::1', 'fe80::1', '2001:db8::', '2001:DB8:0:0:8:800:200C:417A', '1:2:3:4:5:6:7::', '::ffff:10.0.0.1', '1:2:3:4:5:6:1.2.3.4'];
  const no = ['', ':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', ':1', '1:', '12345::', '::ffff:1.2.3', 'g::1', 'fe80::1%eth0', '[::1]', '1:2:3:4:5:6:7:1.2.3.4', '1.2.3.4'];
  for (const text of yes) assert.equal(isIPv6Literal(text), true, text);
  for (const text of no) assert.equal(isIPv6Literal(text), false, text);
});
