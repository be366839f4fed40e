// The value types an annotation can have, and their strict parsers. A parser either returns a typed
// value or a reason (a short phrase for the diagnostic); it never guesses, trims or coerces, so what
// is accepted is exactly what is documented. No regular expression is ever built from a value.

import { isIPv4Literal, isIPv6Literal } from '../ip-literal.ts';
import type { CidrBlock, HashKey, LoadBalanceAlgorithm, SameSite } from '../policy.ts';
import { quoteValue } from '../quote-value.ts';
import { formatDuration, parseByteSize, parseDuration } from '../units.ts';
import { MAX_CORS_ENTRIES, MAX_CORS_LIST_LENGTH, parseCorsOrigins, parseTokenList } from './cors-values.ts';
import { MAX_HEADER_LINES, MAX_HEADER_LINES_LENGTH, parseHeaderLines, parseHeaderNames } from '../snippets/header-lines.ts';
import { TEMPLATE_VARIABLES } from '../snippets/value-template.ts';
import { MAX_REDIRECT_LENGTH, parseAppRoot, parseRedirectUrl, REDIRECT_VARIABLES } from './redirect-url.ts';
import { MAX_STATUS_CODES_LENGTH, parseStatusCodes } from './parse-status-codes.ts';
import { MAX_UPSTREAM_VALUE_LENGTH, parseForwardedPrefix, parseProxyRedirect, parseRewriteTarget, parseUpstreamVhost } from './upstream-values.ts';

export type ValueType =
  | { kind: 'bool' }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'duration'; minMs: number; maxMs: number }
  /** ingress-nginx timeouts: a bare integer is seconds; a duration with a unit is also read. */
  | { kind: 'seconds-or-duration'; minMs: number; maxMs: number }
  /** A byte size; '0' means no limit. */
  | { kind: 'byte-size' }
  | { kind: 'enum'; values: readonly string[]; caseInsensitive?: boolean }
  | { kind: 'cookie-name' }
  | { kind: 'cookie-path' }
  | { kind: 'hash-key' }
  /** ingress-nginx upstream-hash-by: only the three variable forms that mean a hash key. */
  | { kind: 'nginx-hash-by' }
  /** Comma-separated IPv4/IPv6 addresses and CIDRs (ingress-nginx source ranges). */
  | { kind: 'cidr-list' }
  /** An absolute http/https URL with the documented nginx variables (redirect-url.ts). */
  | { kind: 'redirect-url' }
  /** A path starting with '/' (redirect-url.ts). */
  | { kind: 'app-root' }
  /** `*` or comma-separated scheme://host[:port] patterns (cors-values.ts). */
  | { kind: 'cors-origins' }
  /** Comma-separated RFC 9110 tokens: HTTP methods or header names (cors-values.ts). */
  | { kind: 'token-list'; what: 'a method' | 'a header name' }
  /** `Name: value` lines with the documented variables (snippets/header-lines.ts); read without the generic gate. */
  | { kind: 'header-lines' }
  /** Comma-separated header names, `X-Prefix-*` allowed (snippets/header-lines.ts). */
  | { kind: 'header-names' }
  /** A path with capture references $1..$9 (upstream-values.ts). */
  | { kind: 'rewrite-target' }
  /** A path of letters, digits and -._~/: (upstream-values.ts). */
  | { kind: 'forwarded-prefix' }
  /** host[:port] (upstream-values.ts). */
  | { kind: 'upstream-vhost' }
  /** off, default, or a URL prefix (upstream-values.ts). */
  | { kind: 'proxy-redirect' }
  /** Comma-separated HTTP status codes from 400 to 599 (parse-status-codes.ts). */
  | { kind: 'status-codes' };

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The safety gate's length cap for a value of this type (check-annotation-value.ts). */
export function maxValueLength(type: ValueType): number {
  if (type.kind === 'cidr-list') return MAX_CIDR_LIST_LENGTH;
  if (type.kind === 'redirect-url' || type.kind === 'app-root') return MAX_REDIRECT_LENGTH;
  if (type.kind === 'cors-origins' || type.kind === 'token-list') return MAX_CORS_LIST_LENGTH;
  if (type.kind === 'header-lines' || type.kind === 'header-names') return MAX_HEADER_LINES_LENGTH;
  if (type.kind === 'rewrite-target' || type.kind === 'forwarded-prefix' || type.kind === 'proxy-redirect') return MAX_UPSTREAM_VALUE_LENGTH;
  if (type.kind === 'status-codes') return MAX_STATUS_CODES_LENGTH;
  return DEFAULT_MAX_VALUE_LENGTH;
}

/** No value of the other types comes close: the longest legitimate one is a cookie path. */
export const DEFAULT_MAX_VALUE_LENGTH = 256;
/** About 1,800 IPv4 CIDRs: far more than real allow lists (cloud CDN ranges are a few hundred). */
export const MAX_CIDR_LIST_LENGTH = 32 * 1024;
export const MAX_CIDR_LIST_ENTRIES = 2000;

/** Names (cookie, header) longer than this are refused: no real one is, and it bounds messages. */
export const MAX_NAME_LENGTH = 128;
export const MAX_COOKIE_PATH_LENGTH = 256;

/** RFC 9110 tchar (also RFC 6265's token for cookie names). */
function isTchar(c: number): boolean {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true;
  // ! # $ % & ' * + - . ^ _ ` | ~
  return c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x5e || c === 0x5f || c === 0x60 || c === 0x7c || c === 0x7e;
}

/** An RFC 9110 token (header field names, RFC 6265 cookie names), 1..MAX_NAME_LENGTH characters. */
export function isToken(text: string): boolean {
  if (text.length === 0 || text.length > MAX_NAME_LENGTH) return false;
  for (let i = 0; i < text.length; i++) if (!isTchar(text.charCodeAt(i))) return false;
  return true;
}

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/**
 * A cookie Path attribute: starts with '/', then URL path characters only (unreserved, the
 * sub-delims other than ';' ',' and quote, ':' '@' '/', and well-formed %HH). Stricter than
 * RFC 6265's "any CHAR except CTLs or ';'", so the value is safe inside a Set-Cookie header.
 */
export function isCookiePath(text: string): boolean {
  if (text.length === 0 || text.length > MAX_COOKIE_PATH_LENGTH || text.charCodeAt(0) !== 0x2f) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      if (!isHexDigit(text.charCodeAt(i + 1)) || !isHexDigit(text.charCodeAt(i + 2))) return false;
      i += 2;
      continue;
    }
    const ok =
      (c >= 0x30 && c <= 0x39) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e || // - . _ ~
      c === 0x21 || c === 0x24 || c === 0x26 || c === 0x28 || c === 0x29 || c === 0x2a || c === 0x2b || c === 0x3d || // ! $ & ( ) * + =
      c === 0x3a || c === 0x40 || c === 0x2f; // : @ /
    if (!ok) return false;
  }
  return true;
}

const TRUE_WORDS = new Set(['true', 'True', 'TRUE', '1', 't', 'T']);
const FALSE_WORDS = new Set(['false', 'False', 'FALSE', '0', 'f', 'F']);

/** Go's strconv.ParseBool set, which Kubernetes tooling and ingress-nginx users write. */
export function parseBool(text: string): Parsed<boolean> {
  if (TRUE_WORDS.has(text)) return { ok: true, value: true };
  if (FALSE_WORDS.has(text)) return { ok: true, value: false };
  return { ok: false, reason: 'expected true or false' };
}

/** Decimal digits only (no sign, no exponent, no spaces), within [min, max]. */
export function parseIntInRange(text: string, min: number, max: number): Parsed<number> {
  if (text.length === 0 || text.length > 12) return { ok: false, reason: `expected a whole number from ${min} to ${max}` };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return { ok: false, reason: `expected a whole number from ${min} to ${max}` };
  }
  const n = Number(text);
  if (n < min || n > max) return { ok: false, reason: `${n} is outside ${min} to ${max}` };
  return { ok: true, value: n };
}

function durationInRange(ms: number | undefined, minMs: number, maxMs: number): Parsed<number> {
  if (ms === undefined) return { ok: false, reason: 'expected a duration such as 500ms, 5s or 2m' };
  if (ms < minMs || ms > maxMs) return { ok: false, reason: `must be from ${minMs}ms to ${maxMs / 1000}s` };
  return { ok: true, value: ms };
}

export function parseHashKey(text: string): Parsed<HashKey> {
  if (text === 'client-ip') return { ok: true, value: { kind: 'client-ip' } };
  const colon = text.indexOf(':');
  const kind = colon === -1 ? '' : text.slice(0, colon);
  const name = colon === -1 ? '' : text.slice(colon + 1);
  if (kind === 'header' && isToken(name)) return { ok: true, value: { kind: 'header', name: name.toLowerCase() } };
  if (kind === 'cookie' && isToken(name)) return { ok: true, value: { kind: 'cookie', name } };
  return { ok: false, reason: 'expected header:NAME, cookie:NAME or client-ip' };
}

/**
 * ingress-nginx `upstream-hash-by` is an nginx variable expression. Only the forms that mean a
 * Gatehouse hash key are read ($remote_addr, $binary_remote_addr, $http_NAME, $cookie_NAME), by
 * grammar; nothing is evaluated.
 */
export function parseNginxHashBy(text: string): Parsed<HashKey> {
  if (text === '$remote_addr' || text === '$binary_remote_addr') return { ok: true, value: { kind: 'client-ip' } };
  for (const [prefix, kind] of [['$http_', 'header'], ['$cookie_', 'cookie']] as const) {
    if (!text.startsWith(prefix)) continue;
    const rest = text.slice(prefix.length);
    let ok = rest.length > 0 && rest.length <= MAX_NAME_LENGTH;
    for (let i = 0; ok && i < rest.length; i++) {
      const c = rest.charCodeAt(i);
      ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
    }
    if (!ok) break;
    // nginx spells header names with '_' for '-' and lower case.
    if (kind === 'header') return { ok: true, value: { kind: 'header', name: rest.toLowerCase().replaceAll('_', '-') } };
    return { ok: true, value: { kind: 'cookie', name: rest } };
  }
  return { ok: false, reason: 'only $remote_addr, $binary_remote_addr, $http_NAME and $cookie_NAME map to a Gatehouse hash key' };
}

/**
 * ingress-nginx's source-range grammar (its net.ParseIPNets): entries separated by ',', spaces
 * around an entry ignored, each an IPv4 or IPv6 address (one host) or ADDRESS/PREFIX (host bits
 * may be set: '10.1.2.3/8' is 10.0.0.0/8). Stricter where ingress-nginx is loose: an empty entry
 * (a stray comma), a zone ('fe80::1%eth0') or leading zeros ('010.0.0.1') refuse the whole list.
 */
export function parseCidrList(text: string): Parsed<CidrBlock[]> {
  const blocks: CidrBlock[] = [];
  const entries = text.split(',');
  if (entries.length > MAX_CIDR_LIST_ENTRIES) return { ok: false, reason: `more than ${MAX_CIDR_LIST_ENTRIES} entries` };
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') return { ok: false, reason: entries.length === 1 ? 'the list is empty' : 'an entry is empty (a stray comma?)' };
    const shown = quoteValue(entry.length > 64 ? `${entry.slice(0, 64)}...` : entry);
    const slash = entry.indexOf('/');
    const address = slash < 0 ? entry : entry.slice(0, slash);
    const family = isIPv4Literal(address) ? 'ipv4' : isIPv6Literal(address) ? 'ipv6' : undefined;
    if (family === undefined) return { ok: false, reason: `${shown} is not an IPv4 or IPv6 address or CIDR` };
    const max = family === 'ipv4' ? 32 : 128;
    let prefix = max;
    if (slash >= 0) {
      const digits = entry.slice(slash + 1);
      if (!/^[0-9]{1,3}$/.test(digits) || Number(digits) > max) return { ok: false, reason: `${shown} needs a prefix length from 0 to ${max}` };
      prefix = Number(digits);
    }
    blocks.push({ address, prefix, family });
  }
  return { ok: true, value: blocks };
}

/** Parses `text` as `type`. The value's TypeScript type follows the kind (see TypeValue). */
export function parseValue(type: ValueType, text: string): Parsed<unknown> {
  switch (type.kind) {
    case 'bool':
      return parseBool(text);
    case 'int':
      return parseIntInRange(text, type.min, type.max);
    case 'duration':
      return durationInRange(parseDuration(text), type.minMs, type.maxMs);
    case 'seconds-or-duration': {
      const seconds = parseIntInRange(text, 0, Math.floor(type.maxMs / 1000));
      if (seconds.ok) return durationInRange(seconds.value * 1000, type.minMs, type.maxMs);
      return durationInRange(parseDuration(text), type.minMs, type.maxMs);
    }
    case 'byte-size': {
      const bytes = parseByteSize(text);
      return bytes === undefined ? { ok: false, reason: 'expected a size such as 512k, 10m, 1g or a byte count' } : { ok: true, value: bytes };
    }
    case 'enum': {
      const found = type.caseInsensitive ? type.values.find((v) => v.toLowerCase() === text.toLowerCase()) : type.values.find((v) => v === text);
      return found === undefined ? { ok: false, reason: `expected one of ${type.values.join(', ')}` } : { ok: true, value: found };
    }
    case 'cookie-name':
      return isToken(text) ? { ok: true, value: text } : { ok: false, reason: 'expected a cookie name (an RFC 6265 token: letters, digits and !#$%&\'*+-.^_`|~)' };
    case 'cookie-path':
      return isCookiePath(text) ? { ok: true, value: text } : { ok: false, reason: 'expected a path starting with / made of URL path characters' };
    case 'hash-key':
      return parseHashKey(text);
    case 'nginx-hash-by':
      return parseNginxHashBy(text);
    case 'cidr-list':
      return parseCidrList(text);
    case 'redirect-url':
      return parseRedirectUrl(text);
    case 'app-root':
      return parseAppRoot(text);
    case 'cors-origins':
      return parseCorsOrigins(text);
    case 'token-list':
      return parseTokenList(text, type.what);
    case 'header-lines':
      return parseHeaderLines(text);
    case 'header-names':
      return parseHeaderNames(text);
    case 'rewrite-target':
      return parseRewriteTarget(text);
    case 'forwarded-prefix':
      return parseForwardedPrefix(text);
    case 'upstream-vhost':
      return parseUpstreamVhost(text);
    case 'proxy-redirect':
      return parseProxyRedirect(text);
    case 'status-codes':
      return parseStatusCodes(text);
  }
}

/** One line for docs and messages: what values the type takes. */
export function describeType(type: ValueType): string {
  switch (type.kind) {
    case 'bool':
      return 'boolean (`true` or `false`)';
    case 'int':
      return `integer, ${type.min} to ${type.max}`;
    case 'duration':
      return `duration (\`500ms\`, \`5s\`, \`2m\`, \`1m30s\`), ${formatDuration(type.minMs)} to ${formatDuration(type.maxMs)}`;
    case 'seconds-or-duration':
      return `seconds (an integer) or a duration, ${formatDuration(type.minMs)} to ${formatDuration(type.maxMs)}`;
    case 'byte-size':
      return 'byte size (`512k`, `10m`, `1g`, or a byte count; `0` = no limit)';
    case 'enum':
      return `one of ${type.values.map((v) => `\`${v}\``).join(', ')}`;
    case 'cookie-name':
      return 'cookie name (RFC 6265 token)';
    case 'cookie-path':
      return 'cookie path (starts with `/`)';
    case 'hash-key':
      return '`header:NAME`, `cookie:NAME` or `client-ip`';
    case 'nginx-hash-by':
      return '`$remote_addr`, `$binary_remote_addr`, `$http_NAME` or `$cookie_NAME`';
    case 'cidr-list':
      return `comma-separated IPv4/IPv6 addresses and CIDRs (\`10.0.0.0/8, 2001:db8::/32, 192.0.2.7\`), at most ${MAX_CIDR_LIST_ENTRIES} entries and ${MAX_CIDR_LIST_LENGTH / 1024} KiB`;
    case 'redirect-url':
      return `absolute \`http://\` or \`https://\` URL, at most ${MAX_REDIRECT_LENGTH} characters, with only the variables ${REDIRECT_VARIABLES.map((v) => `\`$${v}\``).join(', ')}`;
    case 'app-root':
      return `path starting with \`/\` (a query allowed), at most ${MAX_REDIRECT_LENGTH} characters`;
    case 'cors-origins':
      return `\`*\`, or comma-separated origins \`scheme://host[:port]\` whose host may start with \`*.\`, at most ${MAX_CORS_ENTRIES}`;
    case 'token-list':
      return `comma-separated ${type.what === 'a method' ? 'methods' : 'header names'} (RFC 9110 tokens), at most ${MAX_CORS_ENTRIES}`;
    case 'header-lines':
      return `\`Name: value\` lines (one per line), at most ${MAX_HEADER_LINES}, values with only the variables ${TEMPLATE_VARIABLES.map((v) => `\`$${v}\``).join(', ')}`;
    case 'header-names':
      return `comma-separated header names, \`X-Prefix-*\` for every name with that prefix, at most ${MAX_HEADER_LINES}`;
    case 'rewrite-target':
      return `path of letters, digits, \`-._~/:\` and capture references \`$1\` to \`$9\`, at most ${MAX_UPSTREAM_VALUE_LENGTH} characters`;
    case 'forwarded-prefix':
      return `path of letters, digits and \`-._~/:\`, at most ${MAX_UPSTREAM_VALUE_LENGTH} characters`;
    case 'upstream-vhost':
      return '`host[:port]` (a DNS name, an IPv4 address or a bracketed IPv6 address)';
    case 'proxy-redirect':
      return `\`off\`, \`default\`, or text of letters, digits and \`-._~/:,?&=\`, at most ${MAX_UPSTREAM_VALUE_LENGTH} characters`;
    case 'status-codes':
      return `comma-separated HTTP status codes from 400 to 599, at most ${MAX_STATUS_CODES_LENGTH} characters`;
  }
}

export const LOAD_BALANCE_VALUES: readonly LoadBalanceAlgorithm[] = ['round-robin', 'least-request', 'random', 'consistent-hash'];
export const SAME_SITE_VALUES: readonly SameSite[] = ['Strict', 'Lax', 'None'];
