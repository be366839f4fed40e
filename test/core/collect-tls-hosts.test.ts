import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectTlsHosts } from '../../src/core/collect-tls-hosts.ts';
import { ingress } from './fixtures.ts';

const owner = ingress('web');

test('listed hosts are validated and lower-cased, each with its own field', () => {
  const { hosts, diagnostics } = collectTlsHosts(owner, 2, { hosts: ['A.example.com', 'bad host', '*.example.com'], secretName: 's' }, []);
  assert.deepEqual(hosts, [
    { host: 'a.example.com', field: 'spec.tls[2].hosts[0]' },
    { host: '*.example.com', field: 'spec.tls[2].hosts[2]' },
  ]);
  assert.deepEqual(diagnostics.map((d) => [d.code, d.field]), [['HostInvalid', 'spec.tls[2].hosts[1]']]);
});

test('no hosts: the rule hosts (without *), reported as info', () => {
  const { hosts, diagnostics } = collectTlsHosts(owner, 0, { secretName: 's' }, ['*', 'a.example.com', 'b.example.com']);
  assert.deepEqual(hosts.map((h) => h.host), ['a.example.com', 'b.example.com']);
  assert.deepEqual(diagnostics.map((d) => [d.code, d.severity]), [['TLSHostsDefaulted', 'info']]);
});

test('no hosts and no named rule hosts: unused, reported as warning', () => {
  for (const ruleHosts of [[], ['*']]) {
    const { hosts, diagnostics } = collectTlsHosts(owner, 0, { hosts: [], secretName: 's' }, ruleHosts);
    assert.deepEqual(hosts, []);
    assert.deepEqual(diagnostics.map((d) => [d.code, d.severity]), [['TLSEntryUnused', 'warning']]);
  }
});
