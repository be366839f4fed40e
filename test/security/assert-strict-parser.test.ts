// Gatehouse refuses to start with a lenient HTTP parser: the assertion itself, and the real CLI
// started with --insecure-http-parser in NODE_OPTIONS or on the node command line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assertStrictParser, InsecureParserError, type ParserEnvironment } from '../../src/dataplane/http/assert-strict-parser.ts';
import { httpServerOptions } from '../../src/dataplane/http/server-limits.ts';
import { DEFAULT_LIMITS } from '../../src/dataplane/data-plane-options.ts';
import { CLI_PATH, assertBuilt } from '../support/spawn-gatehouse.ts';

const clean: ParserEnvironment = { execArgv: [], nodeOptions: undefined, maxHeaderSize: 16384 };

function refused(env: Partial<ParserEnvironment>, server?: Parameters<typeof assertStrictParser>[1]): string {
  try {
    assertStrictParser({ ...clean, ...env }, server);
  } catch (err) {
    assert.ok(err instanceof InsecureParserError);
    assert.equal(err.code, 'ERR_INSECURE_HTTP_PARSER');
    return err.message;
  }
  assert.fail(`accepted ${JSON.stringify(env)} ${JSON.stringify(server)}`);
}

test('a clean environment and the data plane server options pass', () => {
  assertStrictParser(clean);
  assertStrictParser(clean, httpServerOptions(DEFAULT_LIMITS));
  assertStrictParser({ ...clean, execArgv: ['--enable-source-maps'], nodeOptions: '--max-old-space-size=512 --title="a b"' });
});

test('lenient-parser flags are refused wherever they are set', () => {
  assert.match(refused({ execArgv: ['--insecure-http-parser'] }), /--insecure-http-parser is set in the node command line/);
  assert.match(refused({ nodeOptions: '--insecure-http-parser' }), /NODE_OPTIONS/);
  assert.match(refused({ nodeOptions: '--max-old-space-size=100  --insecure-http-parser' }), /NODE_OPTIONS/);
  assert.match(refused({ execArgv: ['--security-revert=CVE-2023-46809'] }), /--security-revert/);
  assert.match(refused({ maxHeaderSize: 1024 * 1024 }), /--max-http-header-size is 1048576/);
  assert.match(refused({ maxHeaderSize: 100 }), /outside/);
});

test('lenient server options are refused', () => {
  assert.match(refused({}, { insecureHTTPParser: true }), /insecureHTTPParser/);
  assert.match(refused({}, { httpValidation: 'insecure' }), /httpValidation/);
  assert.match(refused({}, { httpValidation: 'relaxed' }), /httpValidation/);
  assert.match(refused({}, { maxHeaderSize: 10 * 1024 * 1024 }), /maxHeaderSize/);
  assertStrictParser(clean, { httpValidation: 'strict', insecureHTTPParser: false });
});

function runCli(args: string[], env: NodeJS.ProcessEnv, execArgv: string[] = []): Promise<{ code: number | null; stderr: string; stdout: string }> {
  assertBuilt();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...execArgv, CLI_PATH, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

const SERVE = ['serve', '--manifests', fileURLToPath(new URL('../../examples/v1', import.meta.url)), '--bind', '127.0.0.1', '--admin-bind', '127.0.0.1', '--http-port', '0', '--https-port', '0', '--admin-port', '0'];

test('the real CLI refuses to start with --insecure-http-parser in NODE_OPTIONS or on the command line', async () => {
  for (const [env, execArgv] of [
    [{ NODE_OPTIONS: '--insecure-http-parser' }, []],
    [{ NODE_OPTIONS: '' }, ['--insecure-http-parser']],
  ] as const) {
    const r = await runCli(SERVE, env, [...execArgv]);
    assert.notEqual(r.code, 0, 'must not start');
    assert.match(r.stdout + r.stderr, /ERR_INSECURE_HTTP_PARSER|lenient HTTP parser/);
    assert.ok(!(r.stdout.includes('"msg":"listening"')), 'no listener was opened');
  }
});
