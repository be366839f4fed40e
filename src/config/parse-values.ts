// Parsers for flag values. Each returns the typed value or throws a ConfigError whose one-line
// message names the flag and says what was expected.

import { isIP } from 'node:net';
import { parseByteSize, parseDuration } from '../core/units.ts';
import type { LogLevel } from '../observability/logger.ts';
import type { BackendRef, Cidr } from './config.ts';
import { ConfigError } from './config-error.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// IANA service name, as a Service port name must be: letters, digits, '-', at least one letter.
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function show(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

function bad(flag: string, value: string, expected: string): ConfigError {
  return new ConfigError(`--${flag}: expected ${expected}, got ${show(value)}`);
}

export function parsePort(flag: string, value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw bad(flag, value, 'a port number from 0 to 65535');
  return Number(value);
}

export function parsePositiveInt(flag: string, value: string, max = 1_000_000_000): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) < 1 || Number(value) > max) throw bad(flag, value, `a whole number from 1 to ${max}`);
  return Number(value);
}

/** An error status, 400 to 599 (the range nginx's limit_req_status and limit_conn_status accept). */
export function parseErrorStatus(flag: string, value: string): number {
  if (!/^\d{3}$/.test(value) || Number(value) < 400 || Number(value) > 599) throw bad(flag, value, 'an HTTP status from 400 to 599');
  return Number(value);
}

export function parseSeconds(flag: string, value: string): number {
  if (!/^\d{1,6}$/.test(value)) throw bad(flag, value, 'a whole number of seconds');
  return Number(value);
}

export function parseDurationFlag(flag: string, value: string, allowZero = false): number {
  const ms = parseDuration(value);
  if (ms === undefined || (!allowZero && ms === 0)) throw bad(flag, value, `a duration such as 500ms, 5s or 2m${allowZero ? '' : ' (more than zero)'}`);
  return ms;
}

export function parseSizeFlag(flag: string, value: string): number {
  const bytes = parseByteSize(value);
  if (bytes === undefined || bytes === 0) throw bad(flag, value, 'a size such as 1048576, 64k, 10m or 1g (more than zero)');
  return bytes;
}

/** Request head limit: below 1k nothing works, above 64k memory per connection is at risk. */
export function parseHeaderSize(flag: string, value: string): number {
  const bytes = parseByteSize(value);
  if (bytes === undefined || bytes < 1024 || bytes > 64 * 1024) throw bad(flag, value, 'a size from 1k to 64k');
  return bytes;
}

export function parseAddress(flag: string, value: string): string {
  if (isIP(value) === 0) throw bad(flag, value, 'an IP address such as 0.0.0.0, 127.0.0.1 or ::');
  return value;
}

export function parseLogLevel(flag: string, value: string): LogLevel {
  if (value === 'debug' || value === 'info' || value === 'warn' || value === 'error') return value;
  throw bad(flag, value, 'debug, info, warn or error');
}

/** One of a few fixed words (`--log-format json|text`, `--access-log on|off`). */
export function parseChoice<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw bad(flag, value, choices.length === 2 ? `${choices[0]} or ${choices[1]}` : `one of ${choices.join(', ')}`);
}

/** 'NAMESPACE/NAME' with Kubernetes name rules. */
export function parseNamespacedName(flag: string, value: string): { namespace: string; name: string } {
  const slash = value.indexOf('/');
  const namespace = value.slice(0, slash);
  const name = value.slice(slash + 1);
  if (slash < 0 || !isLabel(namespace) || !isSubdomain(name)) throw bad(flag, value, 'NAMESPACE/NAME');
  return { namespace, name };
}

/** 'NAMESPACE/SERVICE:PORT', PORT a number or a port name. */
export function parseBackendRef(flag: string, value: string): BackendRef {
  const m = /^([^/]*)\/([^:]*):(.*)$/.exec(value);
  const expected = 'NAMESPACE/SERVICE:PORT (PORT a number or a port name)';
  if (m === null) throw bad(flag, value, expected);
  const [, namespace, service, port] = m as unknown as [string, string, string, string];
  if (!isLabel(namespace) || !isLabel(service)) throw bad(flag, value, expected);
  if (/^\d{1,5}$/.test(port)) {
    const n = Number(port);
    if (n < 1 || n > 65535) throw bad(flag, value, expected);
    return { namespace, service, port: n };
  }
  if (port.length > 15 || !PORT_NAME.test(port)) throw bad(flag, value, expected);
  return { namespace, service, port };
}

export function parseNamespace(flag: string, value: string): string {
  if (!isLabel(value)) throw bad(flag, value, 'a namespace name');
  return value;
}

export function parseObjectName(flag: string, value: string): string {
  if (!isSubdomain(value)) throw bad(flag, value, 'a Kubernetes object name');
  return value;
}

/** An IngressClass controller value: a domain-prefixed path such as example.com/ingress. */
export function parseControllerName(flag: string, value: string): string {
  const slash = value.indexOf('/');
  const domain = value.slice(0, slash);
  const path = value.slice(slash + 1);
  if (slash <= 0 || value.length > 250 || !isSubdomain(domain) || !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(path)) {
    throw bad(flag, value, 'a domain-prefixed path such as gatehouse.dev/ingress-controller');
  }
  return value;
}

/** An IP address or DNS name to publish in Ingress status. */
export function parsePublishAddressValue(flag: string, value: string): string {
  if (isIP(value) !== 0) return value;
  if (value.length <= 253 && isSubdomain(value)) return value;
  throw bad(flag, value, 'an IP address or a DNS name');
}

/**
 * 'ADDR/PREFIX', or a bare address (one host). The one parser for `--trusted-proxies`; the matcher
 * is src/app/trusted-proxies.ts. Host bits may be set ('10.1.2.3/8' is 10.0.0.0/8), and an
 * IPv4-mapped IPv6 network ('::ffff:10.0.0.0/104') matches IPv4 peers: BlockList does both.
 */
export function parseCidr(flag: string, value: string): Cidr {
  const slash = value.indexOf('/');
  const address = slash < 0 ? value : value.slice(0, slash);
  const version = isIP(address);
  // isIP accepts a zone ('fe80::1%eth0') that BlockList would silently drop, trusting every interface.
  if (version === 0 || address.includes('%')) throw bad(flag, value, 'a CIDR such as 10.0.0.0/8 or 2001:db8::/32, or an IP address');
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const text = value.slice(slash + 1);
    if (!/^\d{1,3}$/.test(text) || Number(text) > max) throw bad(flag, value, `a prefix length from 0 to ${max}`);
    prefix = Number(text);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function isLabel(s: string): boolean {
  return s.length > 0 && s.length <= 63 && DNS_LABEL.test(s);
}

function isSubdomain(s: string): boolean {
  return s.length > 0 && s.length <= 253 && DNS_SUBDOMAIN.test(s);
}

/**
 * An OTLP/HTTP collector URL: http or https, no credentials, query or fragment (they would end up
 * in logs). A URL without a path gets the traces path, /v1/traces, as OpenTelemetry SDKs do for
 * OTEL_EXPORTER_OTLP_ENDPOINT; a URL with a path is used as it is.
 */
export function parseOtlpEndpoint(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad(flag, value, 'an http:// or https:// URL such as http://otel-collector:4318');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(flag, value, 'an http:// or https:// URL (OTLP over HTTP)');
  if (url.username !== '' || url.password !== '') throw bad(flag, value, 'a URL without user or password');
  if (url.search !== '' || url.hash !== '') throw bad(flag, value, 'a URL without query or fragment');
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.href;
}
