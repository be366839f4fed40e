// argv → a validated Config (or help/version text). Strict: unknown flags, repeated single-value
// flags, stray arguments and bad values are ConfigErrors (one line; the CLI exits 2).

import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isatty } from 'node:tty';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MIN_AFFINITY_KEY_BYTES } from '../dataplane/proxy/cookie-affinity.ts';
import type { Command, Config } from './config.ts';
import { ConfigError } from './config-error.ts';
import { FLAGS, flagsFor, type FlagSpec } from './flags.ts';
import { renderExplainHelp, renderHelp } from './help-text.ts';
import {
  parseAddress,
  parseBackendRef,
  parseChoice,
  parseCidr,
  parseControllerName,
  parseDurationFlag,
  parseLogLevel,
  parseNamespace,
  parseNamespacedName,
  parseObjectName,
  parsePort,
  parseErrorStatus,
  parsePositiveInt,
  parseOtlpEndpoint,
  parsePublishAddressValue,
  parseSeconds,
  parseSizeFlag,
  parseHeaderSize,
} from './parse-values.ts';
import { readVersion } from './version.ts';
import { defaultWorkerCount, MAX_WORKERS } from './worker-count.ts';
import { defaultListenSockets, MAX_LISTEN_SOCKETS } from './listen-socket-count.ts';

export type CommandLine =
  | { kind: 'run'; config: Config }
  | { kind: 'help'; text: string }
  | { kind: 'version'; text: string }
  /** `gatehouse explain ...`: its own command line, parsed by parseExplainCommandLine. */
  | { kind: 'explain'; args: string[]; cwd: string };

const COMMANDS: readonly Command[] = ['serve', 'demo', 'check'];

export const DEFAULTS = {
  httpPort: 8080,
  httpsPort: 8443,
  adminPort: 9090,
  controllerName: 'gatehouse.dev/ingress-controller',
  drainSeconds: 15,
  connectTimeoutMs: 5_000,
  readTimeoutMs: 60_000,
  sendTimeoutMs: 60_000,
  headerTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 60_000,
  clientSendTimeoutMs: 60_000,
  upstreamQueueSize: 256,
  upstreamQueueTimeoutMs: 10_000,
  maxHeaderSize: 16 * 1024,
  leaderElectionId: 'gatehouse-leader',
} as const;

/** What the defaults depend on besides argv (tests pass their own). */
export interface CommandLineEnvironment {
  /** --log-format defaults to text on a terminal. Default: whether fd 1 is a TTY. */
  stdoutIsTTY: boolean;
}

export function parseCommandLine(argv: readonly string[], cwd: string = process.cwd(), env: CommandLineEnvironment = { stdoutIsTTY: isatty(1) }): CommandLine {
  const args = [...argv];
  const first = args[0];
  if (first === undefined) throw new ConfigError('missing command: use "gatehouse serve", "gatehouse demo", "gatehouse explain", "gatehouse check" or "gatehouse --help"');
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = args[1];
    if (topic === undefined) return { kind: 'help', text: renderHelp() };
    if (isCommand(topic) && args.length === 2) return { kind: 'help', text: renderHelp(topic) };
    if (topic === 'explain' && args.length === 2) return { kind: 'help', text: renderExplainHelp() };
    throw new ConfigError(`help: unknown topic ${JSON.stringify(topic)} (commands: ${COMMANDS.join(', ')}, explain)`);
  }
  if (first === '--version' || first === 'version') {
    if (args.length > 1) throw new ConfigError(`${first}: takes no arguments`);
    return { kind: 'version', text: readVersion() };
  }
  if (first === 'explain') {
    const rest = args.slice(1);
    if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', text: renderExplainHelp() };
    return { kind: 'explain', args: rest, cwd };
  }
  if (first.startsWith('-')) throw new ConfigError(`expected a command before ${JSON.stringify(first)}: use "gatehouse serve ${first} ..." (see gatehouse --help)`);
  if (!isCommand(first)) throw new ConfigError(`unknown command ${JSON.stringify(first)} (commands: ${COMMANDS.join(', ')}, explain; see gatehouse --help)`);
  const command = first;
  const rest = args.slice(1);
  if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', text: renderHelp(command) };
  const values = readFlags(command, rest);
  return { kind: 'run', config: buildConfig(command, values, cwd, env) };
}

function isCommand(s: string): s is Command {
  return (COMMANDS as readonly string[]).includes(s);
}

type FlagValues = Map<string, string | string[] | boolean>;

function readFlags(command: Command, args: string[]): FlagValues {
  const specs = flagsFor(command);
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const spec of specs) {
    options[spec.name] = { type: spec.type, ...(spec.multiple ? { multiple: true } : {}), ...(spec.short === undefined ? {} : { short: spec.short }) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: args.map((a) => booleanAssignment(a, specs)), options, strict: true, allowPositionals: false, allowNegative: true, tokens: true });
  } catch (err) {
    throw explainParseError(err, command);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const spec = specs.find((s) => s.name === token.name);
    if (spec !== undefined && !spec.multiple) {
      if (seen.has(spec.name)) throw new ConfigError(`--${spec.name}: given more than once`);
      seen.add(spec.name);
    }
  }
  const values: FlagValues = new Map();
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === undefined) continue;
    const spec = specs.find((s) => s.name === name)!;
    if (Array.isArray(value)) {
      const list = value.flatMap((v) => (spec.commaList ? String(v).split(',') : [String(v)])).map((v) => v.trim());
      if (list.some((v) => v === '')) throw new ConfigError(`--${name}: empty value`);
      values.set(name, list);
    } else {
      values.set(name, value);
    }
  }
  return values;
}

/** Go-style `--flag=true|false` for boolean flags, as users of other controllers type it. */
function booleanAssignment(arg: string, specs: readonly FlagSpec[]): string {
  const m = /^--([a-z-]+)=(true|false)$/.exec(arg);
  if (m === null) return arg;
  const spec = specs.find((s) => s.name === m[1]);
  if (spec?.type !== 'boolean') return arg;
  return m[2] === 'true' ? `--${spec.name}` : `--no-${spec.name}`;
}

function explainParseError(err: unknown, command: Command): Error {
  if (!(err instanceof Error)) return new ConfigError(String(err));
  const code = (err as Error & { code?: string }).code;
  const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? '';
  const flag = quoted.split(' ')[0] ?? quoted;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const bare = flag.replace(/^--(no-)?/, '');
      const other = FLAGS.find((f) => f.name === bare && !f.commands.includes(command));
      if (other !== undefined) return new ConfigError(`${flag}: not a flag of "gatehouse ${command}" (it belongs to "gatehouse ${other.commands.join('/')}")`);
      return new ConfigError(`unknown flag ${flag} (see gatehouse ${command} --help)`);
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (err.message.includes('argument missing')) return new ConfigError(`${flag}: missing value`);
      if (err.message.includes('ambiguous')) return new ConfigError(`${flag}: missing value (write a value that starts with "-" as ${flag}=VALUE)`);
      if (err.message.includes('does not take an argument')) return new ConfigError(`${flag}: takes no value (use ${flag} or --no-${flag.slice(2)})`);
      return new ConfigError(err.message);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new ConfigError(`unexpected argument ${flag === '' ? '' : JSON.stringify(flag)} (flags take the form --name value; see gatehouse ${command} --help)`);
    default:
      return new ConfigError(err.message);
  }
}

function buildConfig(command: Command, v: FlagValues, cwd: string, env: CommandLineEnvironment): Config {
  const str = (name: string): string | undefined => {
    const value = v.get(name);
    return typeof value === 'string' ? value : undefined;
  };
  const list = (name: string): string[] => {
    const value = v.get(name);
    return Array.isArray(value) ? value : [];
  };
  const bool = (name: string): boolean | undefined => {
    const value = v.get(name);
    return typeof value === 'boolean' ? value : undefined;
  };
  const opt = <T>(name: string, parse: (flag: string, value: string) => T): T | undefined => {
    const value = str(name);
    return value === undefined ? undefined : parse(name, value);
  };

  const sourceFlag = command === 'check' ? 'file' : 'manifests';
  const manifests = list(sourceFlag).map((p) => checkManifestPath(resolve(cwd, p), p, `--${sourceFlag}`));
  const mode = command === 'demo' || manifests.length > 0 ? 'manifests' : 'kubernetes';
  if (mode === 'manifests' && command !== 'demo') {
    const kubeOnly = FLAGS.filter((f) => f.group === 'Kubernetes mode' && v.has(f.name));
    if (kubeOnly.length > 0) throw new ConfigError(`--${kubeOnly[0]!.name}: only applies when reading the Kubernetes API (without --${sourceFlag})`);
  }
  const localDefault = command === 'demo' ? '127.0.0.1' : '0.0.0.0';
  const logFormat = opt('log-format', (f, x) => parseChoice(f, x, ['json', 'text'] as const)) ?? (env.stdoutIsTTY ? 'text' : 'json');

  const tlsEdge: Pick<Config, 'proxyProtocol' | 'enableSslPassthrough'> = {};
  if (bool('proxy-protocol') === true) tlsEdge.proxyProtocol = true;
  if (bool('enable-ssl-passthrough') === true) tlsEdge.enableSslPassthrough = true;
  const config: Config = {
    ...tlsEdge,
    command,
    mode,
    manifests,
    bind: opt('bind', parseAddress) ?? localDefault,
    httpPort: opt('http-port', parsePort) ?? DEFAULTS.httpPort,
    httpsPort: opt('https-port', parsePort) ?? DEFAULTS.httpsPort,
    adminBind: '',
    adminPort: opt('admin-port', parsePort) ?? DEFAULTS.adminPort,
    controllerName: opt('controller-name', parseControllerName) ?? DEFAULTS.controllerName,
    watchIngressWithoutClass: bool('watch-ingress-without-class') ?? mode === 'manifests',
    allowCrossNamespaceSecrets: bool('allow-cross-namespace-secrets') ?? false,
    snippets: opt('snippets', (f, x) => parseChoice(f, x, ['subset', 'refuse'] as const)) ?? 'subset',
    drainSeconds: opt('drain-seconds', parseSeconds) ?? DEFAULTS.drainSeconds,
    workers: opt('workers', (f, x) => parsePositiveInt(f, x, MAX_WORKERS)) ?? defaultWorkerCount(),
    listenSockets: opt('listen-sockets', (f, x) => parsePositiveInt(f, x, MAX_LISTEN_SOCKETS)) ?? defaultListenSockets(),
    logLevel: opt('log-level', parseLogLevel) ?? 'info',
    logFormat,
    accessLog: {
      enabled: (opt('access-log', (f, x) => parseChoice(f, x, ['on', 'off'] as const)) ?? 'on') === 'on',
      format: opt('access-log-format', (f, x) => parseChoice(f, x, ['json', 'combined'] as const)) ?? (logFormat === 'text' ? 'combined' : 'json'),
    },
    trustedProxies: list('trusted-proxies').map((c) => parseCidr('trusted-proxies', c)),
    metrics: bool('metrics') ?? true,
    limits: {
      maxHeaderSize: opt('max-header-size', parseHeaderSize) ?? DEFAULTS.maxHeaderSize,
      headerTimeoutMs: opt('header-timeout', parseDurationFlag) ?? DEFAULTS.headerTimeoutMs,
      requestTimeoutMs: opt('request-timeout', parseDurationFlag) ?? DEFAULTS.requestTimeoutMs,
      keepAliveTimeoutMs: opt('keepalive-timeout', parseDurationFlag) ?? DEFAULTS.keepAliveTimeoutMs,
      clientSendTimeoutMs: opt('client-send-timeout', parseDurationFlag) ?? DEFAULTS.clientSendTimeoutMs,
    },
    upstreamQueue: {
      // 0 is allowed: no waiting at all, a busy endpoint answers 503 at once.
      size: opt('upstream-queue-size', (f, x) => (x.trim() === '0' ? 0 : parsePositiveInt(f, x, 1_000_000))) ?? DEFAULTS.upstreamQueueSize,
      timeoutMs: opt('upstream-queue-timeout', parseDurationFlag) ?? DEFAULTS.upstreamQueueTimeoutMs,
    },
    timeouts: {
      connectTimeoutMs: opt('connect-timeout', parseDurationFlag) ?? DEFAULTS.connectTimeoutMs,
      readTimeoutMs: opt('read-timeout', parseDurationFlag) ?? DEFAULTS.readTimeoutMs,
      sendTimeoutMs: opt('send-timeout', parseDurationFlag) ?? DEFAULTS.sendTimeoutMs,
    },
    kube: {
      watchNamespaces: [...new Set(list('watch-namespace').map((n) => parseNamespace('watch-namespace', n)))],
      publishAddresses: list('publish-address').map((a) => parsePublishAddressValue('publish-address', a)),
      leaderElect: bool('leader-elect') ?? true,
      leaderElectionId: opt('leader-election-id', parseObjectName) ?? DEFAULTS.leaderElectionId,
    },
  };
  const maxConnections = opt('max-connections', (f, x) => parsePositiveInt(f, x));
  if (maxConnections !== undefined) config.limits.maxConnections = maxConnections;
  const maxBodySize = opt('max-body-size', parseSizeFlag);
  if (maxBodySize !== undefined) config.limits.maxBodySize = maxBodySize;
  const limitStatusCode = opt('limit-status-code', parseErrorStatus);
  if (limitStatusCode !== undefined) config.limits.limitStatusCode = limitStatusCode;
  const defaultBackend = opt('default-backend', parseBackendRef);
  if (defaultBackend !== undefined) config.defaultBackend = defaultBackend;
  const otlpEndpoint = opt('otlp-endpoint', parseOtlpEndpoint);
  if (otlpEndpoint !== undefined) config.otlpEndpoint = otlpEndpoint;
  const defaultTlsSecret = opt('default-tls-secret', parseNamespacedName);
  if (defaultTlsSecret !== undefined) config.defaultTlsSecret = defaultTlsSecret;
  const affinityKeyFile = str('session-affinity-key-file');
  if (affinityKeyFile !== undefined) config.sessionAffinityKey = readAffinityKey(resolve(cwd, affinityKeyFile), affinityKeyFile);
  const accessLogFile = str('access-log-file');
  if (accessLogFile !== undefined) config.accessLog.file = checkLogFilePath(resolve(cwd, accessLogFile), accessLogFile);
  const kubeconfig = str('kubeconfig');
  if (kubeconfig !== undefined) config.kube.kubeconfig = resolve(cwd, kubeconfig);
  const context = str('context');
  if (context !== undefined) {
    if (context === '') throw new ConfigError('--context: empty value');
    config.kube.context = context;
  }
  const publishService = opt('publish-service', parseNamespacedName);
  if (publishService !== undefined) config.kube.publishService = `${publishService.namespace}/${publishService.name}`;
  const leaderElectionNamespace = opt('leader-election-namespace', parseNamespace);
  if (leaderElectionNamespace !== undefined) config.kube.leaderElectionNamespace = leaderElectionNamespace;
  if (command === 'check') config.check = checkOptions(str('output'), list('ingress-class'));
  // The admin listener (no authentication) binds where the traffic listeners do unless told otherwise.
  config.adminBind = opt('admin-bind', parseAddress) ?? config.bind;
  checkPorts(config);
  return config;
}

/** An existing file or folder, else a ConfigError naming the flag (`--manifests`, explain's `-f`). */
export function checkManifestPath(absolute: string, given: string, flag = '--manifests'): string {
  try {
    const stat = statSync(absolute);
    if (!stat.isFile() && !stat.isDirectory()) throw new ConfigError(`${flag}: not a file or folder: ${JSON.stringify(given)}`);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`${flag}: cannot read ${JSON.stringify(given)} (${code === 'ENOENT' ? 'no such file or folder' : (code ?? 'error')})`);
  }
  return absolute;
}

/** The file is opened (appended to, created if absent) at start; its folder must exist now. */
function checkLogFilePath(absolute: string, given: string): string {
  if (given === '') throw new ConfigError('--access-log-file: empty value');
  let folder;
  try {
    folder = statSync(dirname(absolute));
  } catch {
    throw new ConfigError(`--access-log-file: the folder of ${JSON.stringify(given)} does not exist`);
  }
  if (!folder.isDirectory()) throw new ConfigError(`--access-log-file: the folder of ${JSON.stringify(given)} is not a folder`);
  try {
    if (statSync(absolute).isDirectory()) throw new ConfigError(`--access-log-file: ${JSON.stringify(given)} is a folder`);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
  }
  return absolute;
}

/** `gatehouse check`'s own flags. */
function checkOptions(output: string | undefined, ingressClasses: string[]): NonNullable<Config['check']> {
  if (output !== undefined && output !== 'table' && output !== 'json') throw new ConfigError(`--output: expected table or json, got ${JSON.stringify(output)}`);
  return { output: output ?? 'table', ingressClasses: [...new Set(ingressClasses.map((c) => parseObjectName('ingress-class', c)))] };
}

/** The key is used as bytes, trailing whitespace trimmed (a Secret made with `echo` ends in a newline). */
function readAffinityKey(absolute: string, given: string): Buffer {
  let raw: Buffer;
  try {
    raw = readFileSync(absolute);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`--session-affinity-key-file: cannot read ${JSON.stringify(given)} (${code === 'ENOENT' ? 'no such file' : (code ?? 'error')})`);
  }
  let end = raw.length;
  while (end > 0 && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d || raw[end - 1] === 0x20 || raw[end - 1] === 0x09)) end--;
  if (end < MIN_AFFINITY_KEY_BYTES) throw new ConfigError(`--session-affinity-key-file: the key must be at least ${MIN_AFFINITY_KEY_BYTES} bytes`);
  return raw.subarray(0, end);
}

/** Two listeners on one fixed port would fail at bind time with a less helpful message. */
function checkPorts(config: Config): void {
  const listeners: [string, number][] = [
    ['--http-port', config.httpPort],
    ['--https-port', config.httpsPort],
    ['--admin-port', config.adminPort],
  ];
  for (let i = 0; i < listeners.length; i++) {
    for (let j = i + 1; j < listeners.length; j++) {
      const [a, pa] = listeners[i]!;
      const [b, pb] = listeners[j]!;
      if (pa !== 0 && pa === pb) throw new ConfigError(`${a} and ${b} are both ${pa}`);
    }
  }
}
