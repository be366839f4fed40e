import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/config-error.ts';
import { FLAGS } from '../../src/config/flags.ts';
import { parseCommandLine } from '../../src/config/parse-command-line.ts';
import type { Config } from '../../src/config/config.ts';
import { defaultWorkerCount } from '../../src/config/worker-count.ts';
import { defaultListenSockets } from '../../src/config/listen-socket-count.ts';

const dir = mkdtempSync(join(tmpdir(), 'gh-config-'));
const file = join(dir, 'm.yaml');
writeFileSync(file, '');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function config(...args: string[]): Config {
  const r = parseCommandLine(args, dir, { stdoutIsTTY: false });
  assert.equal(r.kind, 'run');
  return r.config;
}

function error(...args: string[]): string {
  try {
    parseCommandLine(args, dir, { stdoutIsTTY: false });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.ok(!err.message.includes('\n'), 'one line');
    return err.message;
  }
  assert.fail(`accepted: ${args.join(' ')}`);
}

test('defaults in manifest mode', () => {
  const c = config('serve', '--manifests', 'm.yaml');
  assert.deepEqual(c, {
    command: 'serve',
    mode: 'manifests',
    manifests: [file],
    bind: '0.0.0.0',
    httpPort: 8080,
    httpsPort: 8443,
    adminBind: '0.0.0.0',
    adminPort: 9090,
    controllerName: 'gatehouse.dev/ingress-controller',
    watchIngressWithoutClass: true,
    allowCrossNamespaceSecrets: false,
    snippets: 'subset',
    drainSeconds: 15,
    workers: defaultWorkerCount(),
    listenSockets: defaultListenSockets(),
    logLevel: 'info',
    logFormat: 'json',
    accessLog: { enabled: true, format: 'json' },
    trustedProxies: [],
    metrics: true,
    limits: { maxHeaderSize: 16384, headerTimeoutMs: 10_000, requestTimeoutMs: 300_000, keepAliveTimeoutMs: 60_000, clientSendTimeoutMs: 60_000 },
    upstreamQueue: { size: 256, timeoutMs: 10_000 },
    timeouts: { connectTimeoutMs: 5000, readTimeoutMs: 60_000, sendTimeoutMs: 60_000 },
    kube: { watchNamespaces: [], publishAddresses: [], leaderElect: true, leaderElectionId: 'gatehouse-leader' },
  });
});

test('logs: text on a terminal, JSON otherwise; the access log follows unless told', () => {
  const onTerminal = (...args: string[]): Config => {
    const r = parseCommandLine(args, dir, { stdoutIsTTY: true });
    assert.equal(r.kind, 'run');
    return r.config;
  };
  assert.equal(onTerminal('demo').logFormat, 'text');
  assert.deepEqual(onTerminal('demo').accessLog, { enabled: true, format: 'combined' });
  assert.equal(onTerminal('demo', '--log-format', 'json').logFormat, 'json');
  assert.deepEqual(onTerminal('demo', '--log-format', 'json').accessLog, { enabled: true, format: 'json' });
  assert.equal(config('demo').logFormat, 'json');
  assert.equal(config('demo', '--log-format', 'text').logFormat, 'text');
  assert.deepEqual(config('demo', '--log-format', 'text', '--access-log-format', 'json').accessLog, { enabled: true, format: 'json' });
  assert.deepEqual(config('demo', '--access-log-format', 'combined').accessLog, { enabled: true, format: 'combined' });
  assert.deepEqual(config('demo', '--access-log', 'off').accessLog, { enabled: false, format: 'json' });
  assert.deepEqual(config('serve', '--manifests', 'm.yaml', '--access-log-file', 'access.log').accessLog, { enabled: true, format: 'json', file: join(dir, 'access.log') });
  const cases: [string[], RegExp][] = [
    [['demo', '--log-format', 'yaml'], /^--log-format: expected json or text, got "yaml"$/],
    [['demo', '--access-log', 'yes'], /^--access-log: expected on or off, got "yes"$/],
    [['demo', '--access-log-format', 'common'], /^--access-log-format: expected json or combined, got "common"$/],
    [['demo', '--access-log-file', '/nonexistent-gatehouse-dir/access.log'], /^--access-log-file: the folder of .* does not exist$/],
    [['demo', '--access-log-file', dir], /^--access-log-file: .* is a folder$/],
  ];
  for (const [args, pattern] of cases) assert.match(error(...args), pattern, args.join(' '));
});

test('Kubernetes mode without --manifests: class-less Ingresses off, leader election on', () => {
  const c = config('serve');
  assert.equal(c.mode, 'kubernetes');
  assert.equal(c.watchIngressWithoutClass, false);
  assert.equal(c.kube.leaderElect, true);
});

test('demo: local binds, manifest mode', () => {
  const c = config('demo');
  assert.equal(c.mode, 'manifests');
  assert.equal(c.bind, '127.0.0.1');
  assert.equal(c.adminBind, '127.0.0.1');
  assert.equal(config('demo', '--bind', '0.0.0.0').bind, '0.0.0.0');
});

test('the admin listener binds where --bind says unless --admin-bind is given (it has no authentication)', () => {
  assert.equal(config('serve', '--manifests', 'm.yaml', '--bind', '127.0.0.1').adminBind, '127.0.0.1');
  assert.equal(config('serve', '--manifests', 'm.yaml', '--bind', '::1').adminBind, '::1');
  assert.equal(config('serve', '--manifests', 'm.yaml', '--bind', '127.0.0.1', '--admin-bind', '0.0.0.0').adminBind, '0.0.0.0');
  assert.equal(config('demo', '--bind', '0.0.0.0').adminBind, '0.0.0.0');
});

test('every flag, set', () => {
  const c = config(
    'serve', '--manifests', 'm.yaml', '--manifests', dir,
    '--bind', '127.0.0.1', '--http-port', '0', '--https-port', '8444', '--admin-bind', '::1', '--admin-port', '9091',
    '--max-connections', '1000', '--trusted-proxies', '10.0.0.0/8,192.0.2.1', '--trusted-proxies', '2001:db8::/32',
    '--controller-name', 'example.com/ingress', '--no-watch-ingress-without-class', '--allow-cross-namespace-secrets',
    '--default-backend', 'ops/fallback:http', '--default-tls-secret', 'ops/wildcard-cert',
    '--connect-timeout', '500ms', '--read-timeout', '2m', '--send-timeout', '1m30s', '--max-body-size', '10m',
    '--header-timeout', '5s', '--request-timeout', '1h', '--keepalive-timeout', '30s', '--max-header-size', '32k',
    '--client-send-timeout', '20s', '--limit-status-code', '429', '--upstream-queue-size', '0', '--upstream-queue-timeout', '3s',
    '--log-level', 'debug', '--drain-seconds', '0', '--no-metrics', '--otlp-endpoint', 'http://127.0.0.1:4318',
  );
  assert.deepEqual(c.manifests, [file, dir]);
  assert.equal(c.bind, '127.0.0.1');
  assert.deepEqual([c.httpPort, c.httpsPort, c.adminPort, c.adminBind], [0, 8444, 9091, '::1']);
  assert.equal(c.limits.maxConnections, 1000);
  assert.deepEqual(c.trustedProxies, [
    { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
    { address: '192.0.2.1', prefix: 32, family: 'ipv4' },
    { address: '2001:db8::', prefix: 32, family: 'ipv6' },
  ]);
  assert.equal(c.controllerName, 'example.com/ingress');
  assert.equal(c.watchIngressWithoutClass, false);
  assert.equal(c.allowCrossNamespaceSecrets, true);
  assert.deepEqual(c.defaultBackend, { namespace: 'ops', service: 'fallback', port: 'http' });
  assert.deepEqual(c.defaultTlsSecret, { namespace: 'ops', name: 'wildcard-cert' });
  assert.deepEqual(c.timeouts, { connectTimeoutMs: 500, readTimeoutMs: 120_000, sendTimeoutMs: 90_000 });
  assert.deepEqual(c.limits, { maxConnections: 1000, maxBodySize: 10 * 1024 * 1024, headerTimeoutMs: 5000, requestTimeoutMs: 3_600_000, keepAliveTimeoutMs: 30_000, maxHeaderSize: 32 * 1024, clientSendTimeoutMs: 20_000, limitStatusCode: 429 });
  assert.deepEqual(c.upstreamQueue, { size: 0, timeoutMs: 3000 });
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.drainSeconds, 0);
  assert.equal(c.metrics, false);
  assert.equal(c.otlpEndpoint, 'http://127.0.0.1:4318/v1/traces');
  assert.equal(config('serve', '--manifests', 'm.yaml', '--otlp-endpoint', 'https://otel.example.com/custom/traces').otlpEndpoint, 'https://otel.example.com/custom/traces');
  assert.deepEqual(config('serve', '--manifests', 'm.yaml', '--default-backend', 'ops/fallback:8080').defaultBackend, { namespace: 'ops', service: 'fallback', port: 8080 });
});

test('every Kubernetes-mode flag, set', () => {
  const c = config(
    'serve', '--kubeconfig', 'kc.yaml', '--context', 'kind-gatehouse', '--watch-namespace', 'a,b', '--watch-namespace', 'c', '--watch-namespace', 'a',
    '--publish-service', 'gatehouse/gatehouse', '--publish-address', '203.0.113.7', '--publish-address', 'lb.example.com,2001:db8::1',
    '--no-leader-elect', '--leader-election-namespace', 'gatehouse', '--leader-election-id', 'gh-lock', '--watch-ingress-without-class',
  );
  assert.deepEqual(c.kube, {
    kubeconfig: join(dir, 'kc.yaml'),
    context: 'kind-gatehouse',
    watchNamespaces: ['a', 'b', 'c'],
    publishService: 'gatehouse/gatehouse',
    publishAddresses: ['203.0.113.7', 'lb.example.com', '2001:db8::1'],
    leaderElect: false,
    leaderElectionNamespace: 'gatehouse',
    leaderElectionId: 'gh-lock',
  });
  assert.equal(c.watchIngressWithoutClass, true);
  assert.equal(config('serve', '--leader-elect=false').kube.leaderElect, false);
  assert.equal(config('serve', '--leader-elect=true').kube.leaderElect, true);
});

test('bad values: one line that names the flag', () => {
  const cases: [string[], RegExp][] = [
    [['serve', '--http-port', '65536'], /^--http-port: expected a port number/],
    [['serve', '--otlp-endpoint', 'otel:4318'], /^--otlp-endpoint: expected an http:\/\/ or https:\/\/ URL/],
    [['serve', '--otlp-endpoint', 'grpc://otel:4317'], /^--otlp-endpoint: expected an http:\/\/ or https:\/\/ URL/],
    [['serve', '--otlp-endpoint', 'http://user:secret@otel:4318'], /^--otlp-endpoint: expected a URL without user or password/],
    [['serve', '--http-port', '-1'], /^--http-port: missing value/],
    [['serve', '--http-port=-1'], /^--http-port: expected a port number/],
    [['serve', '--https-port', '80a'], /^--https-port: /],
    [['serve', '--admin-port', ''], /^--admin-port: /],
    [['serve', '--bind', 'localhost'], /^--bind: expected an IP address/],
    [['serve', '--admin-bind', '300.1.1.1'], /^--admin-bind: /],
    [['serve', '--client-send-timeout', '0'], /^--client-send-timeout: expected a duration/],
    [['serve', '--upstream-queue-size', '-3'], /^--upstream-queue-size: /],
    [['serve', '--upstream-queue-size', 'many'], /^--upstream-queue-size: expected a whole number/],
    [['serve', '--upstream-queue-timeout', 'soon'], /^--upstream-queue-timeout: expected a duration/],
    [['serve', '--max-connections', '0'], /^--max-connections: /],
    [['serve', '--trusted-proxies', '10.0.0.0/33'], /^--trusted-proxies: expected a prefix length/],
    [['serve', '--trusted-proxies', 'example.com'], /^--trusted-proxies: expected a CIDR/],
    [['serve', '--trusted-proxies', '10.0.0.0/8,,'], /^--trusted-proxies: empty value/],
    [['serve', '--controller-name', 'no-slash'], /^--controller-name: /],
    [['serve', '--default-backend', 'svc:80'], /^--default-backend: expected NAMESPACE\/SERVICE:PORT/],
    [['serve', '--default-backend', 'ns/svc:0'], /^--default-backend: /],
    [['serve', '--default-backend', 'ns/svc:Http'], /^--default-backend: /],
    [['serve', '--default-backend', 'ns/Svc:80'], /^--default-backend: /],
    [['serve', '--default-tls-secret', 'just-a-name'], /^--default-tls-secret: expected NAMESPACE\/NAME/],
    [['serve', '--connect-timeout', '5'], /^--connect-timeout: expected a duration/],
    [['serve', '--read-timeout', '0s'], /^--read-timeout: .*more than zero/],
    [['serve', '--send-timeout', '1d'], /^--send-timeout: /],
    [['serve', '--header-timeout', 'fast'], /^--header-timeout: /],
    [['serve', '--request-timeout', '-1s'], /^--request-timeout: /],
    [['serve', '--keepalive-timeout', '5 s'], /^--keepalive-timeout: /],
    [['serve', '--max-body-size', '1t'], /^--max-body-size: expected a size/],
    [['serve', '--limit-status-code', '200'], /^--limit-status-code: expected an HTTP status from 400 to 599/],
    [['serve', '--limit-status-code', '4290'], /^--limit-status-code: /],
    [['serve', '--max-header-size', '512'], /^--max-header-size: expected a size from 1k to 64k/],
    [['serve', '--max-header-size', '1m'], /^--max-header-size: /],
    [['serve', '--log-level', 'verbose'], /^--log-level: expected debug, info, warn or error/],
    [['serve', '--drain-seconds', '1.5'], /^--drain-seconds: /],
    [['serve', '--watch-namespace', 'Not_A_Namespace'], /^--watch-namespace: /],
    [['serve', '--publish-service', 'svc'], /^--publish-service: /],
    [['serve', '--publish-address', 'not an address'], /^--publish-address: /],
    [['serve', '--leader-election-id', 'UPPER'], /^--leader-election-id: /],
    [['serve', '--leader-election-namespace', 'a.b'], /^--leader-election-namespace: /],
    [['serve', '--context', ''], /^--context: empty value/],
    [['serve', '--manifests', 'missing.yaml'], /^--manifests: cannot read "missing\.yaml" \(no such file or folder\)/],
    [['serve', '--manifests', 'm.yaml', '--kubeconfig', 'x'], /^--kubeconfig: only applies when reading the Kubernetes API/],
    [['serve', '--manifests', 'm.yaml', '--no-leader-elect'], /^--leader-elect: only applies/],
    [['serve', '--http-port', '9090'], /^--http-port and --admin-port are both 9090$/],
  ];
  for (const [args, pattern] of cases) assert.match(error(...args), pattern, args.join(' '));
});

test('usage errors: unknown flags, repeats, stray arguments, missing values, commands', () => {
  assert.equal(error('serve', '--bogus'), 'unknown flag --bogus (see gatehouse serve --help)');
  assert.equal(error('serve', '--http-port', '1', '--http-port', '2'), '--http-port: given more than once');
  assert.match(error('serve', 'extra'), /^unexpected argument "extra"/);
  assert.equal(error('serve', '--http-port'), '--http-port: missing value');
  assert.match(error('serve', '--watch-ingress-without-class=1'), /^--watch-ingress-without-class: takes no value/);
  assert.match(error('serve', '--http-port', '--bind', '0.0.0.0'), /^--http-port: missing value/);
  assert.match(error('serve', '--leader-elect=yes'), /^--leader-elect: takes no value/);
  assert.match(error('demo', '--manifests', 'm.yaml'), /^--manifests: not a flag of "gatehouse demo"/);
  assert.match(error('demo', '--kubeconfig', 'x'), /^--kubeconfig: not a flag of "gatehouse demo"/);
  assert.match(error(), /^missing command/);
  assert.match(error('server'), /^unknown command "server"/);
  assert.match(error('--http-port', '1'), /^expected a command before "--http-port"/);
  assert.match(error('help', 'nothing'), /^help: unknown topic/);
  assert.match(error('--version', 'x'), /takes no arguments/);
});

test('help and version', () => {
  const top = parseCommandLine(['--help']);
  assert.equal(top.kind, 'help');
  assert.match(top.kind === 'help' ? top.text : '', /gatehouse serve --manifests PATH/);
  for (const args of [['serve', '--help'], ['serve', '-h'], ['help', 'serve'], ['serve', '--bogus', '--help']]) {
    const r = parseCommandLine(args);
    assert.equal(r.kind, 'help', args.join(' '));
  }
  const version = parseCommandLine(['--version']);
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.deepEqual(version, { kind: 'version', text: `gatehouse ${pkg.version}` });
});

test('every flag is described in --help of its commands and in docs/configuration.md', () => {
  const serveHelp = parseCommandLine(['serve', '--help']);
  const demoHelp = parseCommandLine(['demo', '--help']);
  const docs = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  for (const flag of FLAGS) {
    for (const [command, help] of [['serve', serveHelp], ['demo', demoHelp]] as const) {
      const text = help.kind === 'help' ? help.text : '';
      const described = new RegExp(`^  --${flag.name}( |$)`, 'm').test(text);
      assert.equal(described, flag.commands.includes(command), `--${flag.name} in ${command} --help`);
    }
    assert.ok(docs.includes(`\`--${flag.name}`), `--${flag.name} in docs/configuration.md`);
  }
});
