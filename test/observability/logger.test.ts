// Both log formats as bytes: JSON for machines, text for people, and neither can be forged by a
// value (a tenant's host, path or header) nor lose the logger's identity to a line's fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, type LogFormat } from '../../src/observability/logger.ts';

function capture(format: LogFormat, level: 'debug' | 'info' = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ format, level, base: { service: 'gatehouse' }, write: (l) => void lines.push(l) });
  return { logger, lines };
}

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/;

test('text: time, level, message, then key=value; plain words bare, the rest JSON-quoted', () => {
  const { logger, lines } = capture('text');
  logger.child({ component: 'main' }).info('listening', { bind: '0.0.0.0', http: 8080, tls: true, none: null, skipped: undefined });
  logger.warn('diagnostic', { object: 'Ingress/default/web', detail: 'the Service "web" does not exist', list: ['a', 1] });
  logger.error('failed to start', { err: Object.assign(new Error('bind: address in use'), { code: 'EADDRINUSE' }) });
  logger.debug('not shown at info');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, TIME);
  assert.equal(lines[0]!.slice(24), ' INFO  listening component=main bind=0.0.0.0 http=8080 tls=true none=null\n');
  assert.equal(lines[1]!.slice(24), ' WARN  diagnostic object=Ingress/default/web detail="the Service \\"web\\" does not exist" list=["a",1]\n');
  assert.equal(lines[2]!.slice(24), ' ERROR failed to start err={"name":"Error","message":"bind: address in use","code":"EADDRINUSE"}\n');
});

test('text: a value with a newline, a quote or "key=value" cannot forge a line or a field', () => {
  const { logger, lines } = capture('text');
  const evil = 'x\n2026-01-01T00:00:00.000Z ERROR forged admin=true';
  logger.info('access', { host: evil, path: '/a b', 'odd key': 'v', empty: '' });
  assert.equal(lines.length, 1);
  const line = lines[0]!;
  assert.equal(line.indexOf('\n'), line.length - 1, 'one line');
  assert.equal(line.slice(24), ` INFO  access host=${JSON.stringify(evil)} path="/a b" "odd key"=v empty=""\n`);
});

test('json: one object per line; time, level, msg and service cannot be overwritten by a line', () => {
  const { logger, lines } = capture('json');
  logger.info('publish address', { service: 'gatehouse/gatehouse', msg: 'forged', level: 'error', time: 'then', addresses: [{ ip: '192.0.2.1' }] });
  const record = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.deepEqual(Object.keys(record).slice(0, 4), ['time', 'level', 'msg', 'service']);
  assert.match(String(record.time), TIME);
  assert.equal(record.level, 'info');
  assert.equal(record.msg, 'publish address');
  assert.equal(record.service, 'gatehouse');
  assert.deepEqual(record.addresses, [{ ip: '192.0.2.1' }]);
  assert.ok(lines[0]!.endsWith('}\n'));
});
