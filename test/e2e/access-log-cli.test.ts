// The access-log flags on the built CLI: --access-log-file gets the lines (in the chosen format)
// and stdout keeps only the application log; --access-log off writes none; a path that cannot be
// used stops the start with one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spawnGatehouse, startGatehouseProcess, waitFor } from '../support/spawn-gatehouse.ts';

const sh = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'gh-access-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
// No backends needed: an empty folder serves 404s, which Gatehouse writes and logs itself.
const manifests = join(dir, 'manifests');
mkdirSync(manifests);
writeFileSync(join(manifests, 'empty.yaml'), '');

const curl = (url: string, path: string) => sh('curl', ['--silent', '--max-time', '10', '-A', 'e2e/1', '-H', 'Host: a.example.com', `${url}${path}`]);

test('--access-log-file with combined: the lines go to the file, none to stdout; SIGTERM leaves them all written', async (t) => {
  const file = join(dir, 'access.log');
  const gh = await startGatehouseProcess(['--manifests', manifests, '--access-log-file', file, '--access-log-format', 'combined']);
  t.after(() => gh.stop('SIGKILL').catch(() => {}));
  await waitFor('ready', async () => (await fetch(`${gh.adminUrl}/readyz`)).status === 200, 10_000);
  for (let i = 0; i < 20; i++) await curl(gh.httpUrl, `/p${i}`);
  assert.equal(await gh.stop('SIGTERM'), 0);
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  assert.equal(lines.length, 20);
  lines.forEach((line, i) => assert.match(line, new RegExp(`^127\\.0\\.0\\.1 - - \\[[^\\]]+\\] "GET /p${i} HTTP/1\\.1" 404 14 "-" "e2e/1"$`)));
  assert.ok(!gh.logs.some((l) => l.msg === 'access'), 'no access line on stdout');
  assert.ok(gh.logs.some((l) => l.msg === 'drained'), 'the application log is still on stdout');
});

test('--access-log off: no access lines at all', async (t) => {
  const gh = await startGatehouseProcess(['--manifests', manifests, '--access-log', 'off']);
  t.after(() => gh.stop('SIGKILL').catch(() => {}));
  await waitFor('ready', async () => (await fetch(`${gh.adminUrl}/readyz`)).status === 200, 10_000);
  for (let i = 0; i < 5; i++) await curl(gh.httpUrl, '/x');
  assert.equal(await gh.stop('SIGTERM'), 0);
  assert.ok(gh.logs.some((l) => l.msg === 'drained'));
  assert.ok(!gh.logs.some((l) => l.msg === 'access'));
});

test('an access-log path that cannot be opened: one line on stderr; exit 2 when its folder is missing, 1 when opening fails', async (t) => {
  const run = async (path: string) => {
    const p = spawnGatehouse(['serve', '--manifests', manifests, '--bind', '127.0.0.1', '--admin-bind', '127.0.0.1', '--http-port', '0', '--https-port', '0', '--admin-port', '0', '--access-log-file', path]);
    const code = await Promise.race([p.exited, new Promise((_, reject) => setTimeout(() => reject(new Error('no exit')), 20_000))]);
    assert.equal(p.stderr().split('\n').filter(Boolean).length, 1, p.stderr());
    return { code, stderr: p.stderr() };
  };
  const missing = await run(join(dir, 'no-such-folder', 'access.log'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^gatehouse: --access-log-file: the folder of .* does not exist\n$/);
  // A Unix socket cannot be opened as a file, whoever runs the test (root included): ENXIO.
  const socketPath = join(dir, 'not-a-file.sock');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.after(() => server.close());
  const unopenable = await run(socketPath);
  assert.equal(unopenable.code, 1);
  assert.match(unopenable.stderr, /^gatehouse: --access-log-file: cannot open ".*not-a-file\.sock" \(ENXIO\)\n$/);
});
