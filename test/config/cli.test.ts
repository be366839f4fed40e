// The built CLI as a user runs it: exit codes, one-line errors, help and version on stdout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { spawnGatehouse } from '../support/spawn-gatehouse.ts';

async function runToEnd(...args: string[]) {
  const p = spawnGatehouse(args);
  const code = await Promise.race([p.exited, new Promise((_, reject) => setTimeout(() => reject(new Error('no exit')), 20_000))]);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

test('bad command lines exit 2 with exactly one line on stderr and nothing on stdout', async () => {
  const cases: [string[], RegExp][] = [
    [['serve', '--bogus'], /^gatehouse: unknown flag --bogus/],
    [['serve', '--http-port', 'eighty'], /^gatehouse: --http-port: expected a port number/],
    [['serve', '--connect-timeout', '5'], /^gatehouse: --connect-timeout: expected a duration/],
    [['serve', '--max-body-size', 'lots'], /^gatehouse: --max-body-size: expected a size/],
    [['serve', '--manifests', '/nonexistent/gatehouse-manifests'], /^gatehouse: --manifests: cannot read/],
    [['serve', '--log-level', 'loud'], /^gatehouse: --log-level: /],
    [['demo', '--manifests', '.'], /^gatehouse: --manifests: not a flag of "gatehouse demo"/],
    [[], /^gatehouse: missing command/],
    [['frobnicate'], /^gatehouse: unknown command/],
  ];
  const results = await Promise.all(cases.map(([args]) => runToEnd(...args)));
  cases.forEach(([args, pattern], i) => {
    const r = results[i]!;
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, pattern, args.join(' '));
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, `one line: ${JSON.stringify(r.stderr)}`);
    assert.equal(r.stdout, '', args.join(' '));
  });
});

test('--help, serve --help and --version print to stdout and exit 0', async () => {
  const [help, serveHelp, version] = await Promise.all([runToEnd('--help'), runToEnd('serve', '--help'), runToEnd('--version')]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Gatehouse: /);
  assert.equal(serveHelp.code, 0);
  assert.match(serveHelp.stdout, /--manifests PATH/);
  assert.match(serveHelp.stdout, /--drain-seconds N/);
  assert.equal(version.code, 0);
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(version.stdout, `gatehouse ${pkg.version}\n`);
  for (const r of [help, serveHelp, version]) assert.equal(r.stderr, '');
});

test('a port already in use: exit 1 with the reason on stderr', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as AddressInfo).port;
  const r = await runToEnd('serve', '--manifests', '.', '--bind', '127.0.0.1', '--admin-bind', '127.0.0.1', '--admin-port', '0', '--https-port', '0', '--http-port', String(port));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^gatehouse: .*EADDRINUSE/);
});

test('an unusable kubeconfig is a usage error (exit 2)', async () => {
  const r = await runToEnd('serve', '--kubeconfig', '/nonexistent/kubeconfig', '--admin-port', '0', '--http-port', '0', '--https-port', '0', '--bind', '127.0.0.1', '--admin-bind', '127.0.0.1');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^gatehouse: .*kubeconfig/);
});

test('Node flags that make the HTTP parser lenient refuse to start (exit 1)', async () => {
  const p = spawnGatehouse(['serve', '--manifests', '.', '--admin-port', '0', '--http-port', '0', '--https-port', '0', '--bind', '127.0.0.1', '--admin-bind', '127.0.0.1'], { env: { NODE_OPTIONS: '--insecure-http-parser' } });
  const code = await Promise.race([p.exited, new Promise((_, reject) => setTimeout(() => reject(new Error('no exit')), 20_000))]);
  assert.equal(code, 1);
  assert.match(p.stderr(), /lenient HTTP parser/);
});
