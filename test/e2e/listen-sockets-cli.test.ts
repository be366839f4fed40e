// --listen-sockets on the built CLI: every traffic port is bound by that many sockets (the admin
// port by one), and they all serve; the default binds 128 on Linux, shared out over --workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LINUX_LISTEN_SOCKETS } from '../../src/config/listen-socket-count.ts';
import { listeningSocketCount } from '../support/listening-sockets.ts';
import { startGatehouseProcess, waitFor, type StartedGatehouse } from '../support/spawn-gatehouse.ts';

const sh = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'gh-listen-sockets-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
// No backends needed: an empty folder serves 404s, which Gatehouse writes itself.
const manifests = join(dir, 'manifests');
mkdirSync(manifests);
writeFileSync(join(manifests, 'empty.yaml'), '');

/** The route table is applied (before it, requests get 503). */
async function ready(gh: StartedGatehouse): Promise<void> {
  await waitFor('/readyz 200', async () => (await sh('curl', ['--silent', '--max-time', '5', '-o', '/dev/null', '-w', '%{http_code}', `${gh.adminUrl}/readyz`]).catch(() => ({ stdout: '' }))).stdout === '200');
}

async function statuses(url: string, n: number, tls: boolean): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    // A new connection each time, so the kernel hands them to different sockets of the group.
    const r = await sh('curl', ['--silent', '--max-time', '10', ...(tls ? ['--insecure'] : []), '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Host: a.example.com', url]);
    out.push(r.stdout);
  }
  return out;
}

test('--listen-sockets 3: three sockets on the HTTP and the HTTPS port, one on the admin port, all serving', async (t) => {
  const gh = await startGatehouseProcess(['--manifests', manifests, '--listen-sockets', '3']);
  t.after(() => gh.stop());
  await ready(gh);
  assert.equal(listeningSocketCount(gh.ports.http), 3);
  assert.equal(listeningSocketCount(gh.ports.https), 3);
  assert.equal(listeningSocketCount(gh.ports.admin), 1);
  assert.deepEqual(await statuses(`http://127.0.0.1:${gh.ports.http}/`, 12, false), Array(12).fill('404'));
  assert.deepEqual(await statuses(`https://127.0.0.1:${gh.ports.https}/`, 6, true), Array(6).fill('404'));
});

test(`the default binds ${LINUX_LISTEN_SOCKETS} sockets per traffic port on Linux`, { skip: process.platform !== 'linux' ? 'Linux only (one socket elsewhere)' : false }, async (t) => {
  const gh = await startGatehouseProcess(['--manifests', manifests]);
  t.after(() => gh.stop());
  await ready(gh);
  assert.equal(listeningSocketCount(gh.ports.http), LINUX_LISTEN_SOCKETS);
  assert.equal(listeningSocketCount(gh.ports.https), LINUX_LISTEN_SOCKETS);
  assert.deepEqual(await statuses(`http://127.0.0.1:${gh.ports.http}/`, 4, false), Array(4).fill('404'));
});

test('--workers 2 --listen-sockets 6: each worker binds three, six in all, all serving', async (t) => {
  const gh = await startGatehouseProcess(['--manifests', manifests, '--workers', '2', '--listen-sockets', '6']);
  t.after(() => gh.stop());
  await ready(gh);
  assert.equal(listeningSocketCount(gh.ports.http), 6);
  assert.equal(listeningSocketCount(gh.ports.https), 6);
  assert.deepEqual(await statuses(`http://127.0.0.1:${gh.ports.http}/`, 12, false), Array(12).fill('404'));
});
