// `gatehouse check`'s command line: its flags (-f, -o, --ingress-class), the routing and
// kubeconfig flags it shares with serve, and what it refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/config/config-error.ts';
import { parseCommandLine } from '../../src/config/parse-command-line.ts';
import type { Config } from '../../src/config/config.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

function config(...args: string[]): Config {
  const r = parseCommandLine(['check', ...args], FIXTURES);
  assert.equal(r.kind, 'run');
  return r.config;
}

function error(...args: string[]): string {
  assert.throws(() => parseCommandLine(['check', ...args], FIXTURES), ConfigError);
  try {
    parseCommandLine(['check', ...args], FIXTURES);
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

test('check: -f/--file (repeatable) selects manifest mode with absolute paths; the defaults are a table and no adopted class', () => {
  const c = config('-f', 'honoured', '--file', 'ignored/web.yaml');
  assert.equal(c.command, 'check');
  assert.equal(c.mode, 'manifests');
  assert.deepEqual(c.manifests, [`${FIXTURES}honoured`, `${FIXTURES}ignored/web.yaml`]);
  assert.deepEqual(c.check, { output: 'table', ingressClasses: [] });
  assert.equal(c.watchIngressWithoutClass, true);
});

test('check: -o json, --ingress-class as a repeatable comma list, the routing flags', () => {
  const c = config('-f', 'honoured', '-o', 'json', '--ingress-class', 'nginx,nginx-internal', '--ingress-class', 'nginx', '--controller-name', 'example.com/gatehouse', '--no-watch-ingress-without-class', '--default-backend', 'default/web:80');
  assert.deepEqual(c.check, { output: 'json', ingressClasses: ['nginx', 'nginx-internal'] });
  assert.equal(c.controllerName, 'example.com/gatehouse');
  assert.equal(c.watchIngressWithoutClass, false);
  assert.deepEqual(c.defaultBackend, { namespace: 'default', service: 'web', port: 80 });
});

test('check: without -f it reads the Kubernetes API, with --kubeconfig and --context', () => {
  const c = config('--kubeconfig', 'kubeconfig.yaml', '--context', 'prod', '--output=table');
  assert.equal(c.mode, 'kubernetes');
  assert.equal(c.kube.kubeconfig, `${FIXTURES}kubeconfig.yaml`);
  assert.equal(c.kube.context, 'prod');
  assert.equal(c.watchIngressWithoutClass, false);
});

test('check: refused command lines', () => {
  assert.match(error('-o', 'yaml'), /^--output: expected table or json, got "yaml"/);
  assert.match(error('-f', 'honoured', '--context', 'x'), /^--context: only applies when reading the Kubernetes API \(without --file\)/);
  assert.match(error('-f', 'nowhere'), /^--file: cannot read "nowhere" \(no such file or folder\)/);
  assert.match(error('--ingress-class', 'Not_A_Name'), /^--ingress-class: /);
  assert.match(error('--http-port', '80'), /^--http-port: not a flag of "gatehouse check"/);
  assert.match(error('-o', 'json', '-o', 'table'), /^--output: given more than once/);
  assert.match(error('honoured'), /^unexpected argument "honoured"/);
});
