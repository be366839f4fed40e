// An older Node.js gets one line saying which one is needed, and exit 2, not a TypeError from a
// dependency: the built CLI run by a real older node (this machine's /usr/bin/node), and the same
// check seen from Node 24 told it is older.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { checkNodeVersion, SUPPORTED_NODE_MAJOR } from '../../src/app/check-node-version.ts';
import { assertBuilt, CLI_PATH } from '../support/spawn-gatehouse.ts';

function run(node: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('no exit within 20 s'));
    }, 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const NEEDS = new RegExp(`^gatehouse: needs Node\\.js ${SUPPORTED_NODE_MAJOR} \\(this is Node\\.js (\\d+\\.\\d+\\.\\d+)\\); run it with "npx gatehouse"[^\\n]*\\n$`);

test('package.json engines names the same supported major', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
  assert.equal(pkg.engines.node, `>=${SUPPORTED_NODE_MAJOR} <${SUPPORTED_NODE_MAJOR + 1}`);
  assert.equal(checkNodeVersion(`${SUPPORTED_NODE_MAJOR}.0.0`), undefined);
  assert.equal(checkNodeVersion(`${SUPPORTED_NODE_MAJOR + 1}.2.3`), undefined);
  assert.match(checkNodeVersion('22.9.0') ?? '', /^needs Node\.js 24 \(this is Node\.js 22\.9\.0\)/);
  assert.match(checkNodeVersion('garbage') ?? '', /^needs Node\.js 24/);
});

const SYSTEM_NODE = '/usr/bin/node';
const systemMajor = existsSync(SYSTEM_NODE) ? Number(/^v(\d+)/.exec(execFileSync(SYSTEM_NODE, ['--version'], { encoding: 'utf8' }))?.[1]) : NaN;

test(`the built CLI under the system's older Node (${SYSTEM_NODE}): one line naming Node.js ${SUPPORTED_NODE_MAJOR}, exit 2`, { skip: systemMajor < SUPPORTED_NODE_MAJOR ? false : `no Node.js older than ${SUPPORTED_NODE_MAJOR} at ${SYSTEM_NODE}` }, async () => {
  assertBuilt();
  for (const args of [['serve', '--manifests', '.'], ['--version'], ['demo']]) {
    const r = await run(SYSTEM_NODE, [CLI_PATH, ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, NEEDS);
    assert.equal(NEEDS.exec(r.stderr)?.[1]?.split('.')[0], String(systemMajor));
    assert.equal(r.stdout, '');
  }
});

test('the check runs before anything else is loaded: Node 24 told it is 20 answers the same way', async () => {
  assertBuilt();
  const pretend = 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.11.1"})';
  const r = await run(process.execPath, ['--import', pretend, CLI_PATH, 'serve', '--manifests', '.']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, NEEDS);
  assert.equal(NEEDS.exec(r.stderr)?.[1], '20.11.1');
  assert.equal(r.stdout, '');
});
