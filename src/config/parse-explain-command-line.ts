// `gatehouse explain` has its own command line (a positional URL, short flags as kubectl and curl
// users type them), so it is parsed here rather than through the serve/demo flag table. The routing
// flags it shares with serve are parsed by the same value parsers, so they mean the same thing.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BackendRef } from './config.ts';
import { ConfigError } from './config-error.ts';
import { checkManifestPath, DEFAULTS } from './parse-command-line.ts';
import { parseBackendRef, parseControllerName, parseDurationFlag, parsePort, parseSizeFlag } from './parse-values.ts';

export interface ExplainConfig {
  /** The URL to explain, as typed. */
  url: string;
  /** NAME:VALUE lines, as typed. */
  headers: string[];
  clientIp?: string;
  output: 'text' | 'json';
  /** Offline: manifests read and built as `serve --manifests` would. */
  manifests: string[];
  /** Online: a running Gatehouse's admin address ('http://127.0.0.1:9090'). */
  admin?: string;
  controllerName: string;
  watchIngressWithoutClass: boolean;
  defaultBackend?: BackendRef;
  httpsPort: number;
  timeouts: { connectTimeoutMs: number; readTimeoutMs: number; sendTimeoutMs: number };
  maxBodySize?: number;
}

/** Flags valid only offline: a running Gatehouse already has its own. */
const OFFLINE_ONLY = ['controller-name', 'watch-ingress-without-class', 'default-backend', 'https-port', 'connect-timeout', 'read-timeout', 'send-timeout', 'max-body-size'];

export function parseExplainCommandLine(args: readonly string[], cwd: string): ExplainConfig {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      allowNegative: true,
      strict: true,
      tokens: true,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        manifests: { type: 'string', multiple: true },
        admin: { type: 'string' },
        header: { type: 'string', short: 'H', multiple: true },
        'client-ip': { type: 'string' },
        output: { type: 'string', short: 'o' },
        'controller-name': { type: 'string' },
        'watch-ingress-without-class': { type: 'boolean' },
        'default-backend': { type: 'string' },
        'https-port': { type: 'string' },
        'connect-timeout': { type: 'string' },
        'read-timeout': { type: 'string' },
        'send-timeout': { type: 'string' },
        'max-body-size': { type: 'string' },
      },
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const quoted = /'([^']*)'/.exec(message)?.[1]?.split(' ')[0];
    const code = (err as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new ConfigError(`unknown flag ${quoted ?? ''} (see gatehouse explain --help)`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new ConfigError(`${quoted ?? 'a flag'}: missing value`);
    throw new ConfigError(message);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option' || ['filename', 'manifests', 'header'].includes(token.name)) continue;
    if (seen.has(token.name)) throw new ConfigError(`--${token.name}: given more than once`);
    seen.add(token.name);
  }
  const v = parsed.values;
  if (parsed.positionals.length === 0) throw new ConfigError('explain: missing URL (gatehouse explain -f DIR http://HOST/PATH)');
  if (parsed.positionals.length > 1) throw new ConfigError(`explain: one URL at a time, got ${parsed.positionals.length} (${parsed.positionals.slice(0, 3).map((p) => JSON.stringify(p)).join(', ')})`);
  const given = [...(v.filename ?? []), ...(v.manifests ?? [])];
  if (given.length === 0 && v.admin === undefined) throw new ConfigError('explain: say where the routes come from: -f DIR|FILE (manifests) or --admin http://HOST:PORT (a running Gatehouse)');
  if (given.length > 0 && v.admin !== undefined) throw new ConfigError('explain: -f and --admin exclude each other');
  if (v.admin !== undefined) {
    const offline = OFFLINE_ONLY.find((name) => v[name as keyof typeof v] !== undefined);
    if (offline !== undefined) throw new ConfigError(`--${offline}: only with -f (a running Gatehouse uses its own)`);
  }
  const output = v.output ?? 'text';
  if (output !== 'text' && output !== 'json') throw new ConfigError(`--output: expected text or json, got ${JSON.stringify(output)}`);
  const str = (name: string): string | undefined => {
    const value = v[name as keyof typeof v];
    return typeof value === 'string' ? value : undefined;
  };
  const config: ExplainConfig = {
    url: parsed.positionals[0]!,
    headers: v.header ?? [],
    output,
    manifests: given.map((p) => checkManifestPath(resolve(cwd, p), p, '-f')),
    controllerName: str('controller-name') === undefined ? DEFAULTS.controllerName : parseControllerName('controller-name', str('controller-name')!),
    watchIngressWithoutClass: v['watch-ingress-without-class'] ?? true,
    httpsPort: str('https-port') === undefined ? DEFAULTS.httpsPort : parsePort('https-port', str('https-port')!),
    timeouts: {
      connectTimeoutMs: str('connect-timeout') === undefined ? DEFAULTS.connectTimeoutMs : parseDurationFlag('connect-timeout', str('connect-timeout')!),
      readTimeoutMs: str('read-timeout') === undefined ? DEFAULTS.readTimeoutMs : parseDurationFlag('read-timeout', str('read-timeout')!),
      sendTimeoutMs: str('send-timeout') === undefined ? DEFAULTS.sendTimeoutMs : parseDurationFlag('send-timeout', str('send-timeout')!),
    },
  };
  if (v['client-ip'] !== undefined) config.clientIp = v['client-ip'];
  if (v.admin !== undefined) config.admin = parseAdminUrl(v.admin);
  const defaultBackend = str('default-backend');
  if (defaultBackend !== undefined) config.defaultBackend = parseBackendRef('default-backend', defaultBackend);
  const maxBody = str('max-body-size');
  if (maxBody !== undefined) config.maxBodySize = parseSizeFlag('max-body-size', maxBody);
  return config;
}

/** 'http://HOST:PORT' (or just 'HOST:PORT'); the admin listener is plain HTTP. */
function parseAdminUrl(text: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(`--admin: expected http://HOST:PORT, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' || url.username !== '' || url.password !== '' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '') {
    throw new ConfigError(`--admin: expected http://HOST:PORT (the admin listener), got ${JSON.stringify(text)}`);
  }
  return url.origin;
}
