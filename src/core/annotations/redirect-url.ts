// Redirect targets (ingress-nginx permanent-redirect, temporal-redirect) and the app root, parsed
// into typed data. A target is an absolute http/https URL, as ingress-nginx requires; it may use a
// few documented nginx variables ($scheme, $host, $request_uri, $uri, $args, $is_args), which become
// typed parts the data plane fills in from the request it already parsed. Nothing is evaluated:
// any other `$name`, a space, a control byte, userinfo or a malformed authority is refused.

import { isIPv4Literal, isIPv6Literal } from '../ip-literal.ts';
import type { RedirectPart, RedirectVariable } from '../policy.ts';
import type { Parsed } from './value-types.ts';

/** Longest target or app root accepted: browsers handle far longer URLs, but no real redirect is. */
export const MAX_REDIRECT_LENGTH = 2048;

export const REDIRECT_VARIABLES: readonly RedirectVariable[] = ['scheme', 'host', 'request_uri', 'uri', 'args', 'is_args', 'query_string'];

/** RFC 3986 characters allowed literally in path, query and fragment ('%' is checked apart, '$' starts a variable). */
export function isUriChar(c: number): boolean {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true;
  // - . _ ~ / ? # [ ] @ ! & ( ) * + , = :  (the gate already refused ; ' and the other injection characters)
  return '-._~/?#[]@!&()*+,=:'.includes(String.fromCharCode(c));
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9A-Fa-f]$/.test(c);
}

/**
 * The literal piece of a URL template at text[i] (not a '$'): a %XX escape or one URI character;
 * `{ error }` when it can be neither. `where` ends the message ("in a URL", "here").
 */
export function urlLiteralAt(text: string, i: number, where: string): string | { error: string } {
  const ch = text[i]!;
  if (ch === '%') {
    if (!isHex(text[i + 1]) || !isHex(text[i + 2])) return { error: 'a "%" is not followed by two hexadecimal digits' };
    return text.slice(i, i + 3);
  }
  if (ch === ' ') return { error: 'contains a space (encode it as %20)' };
  if (!isUriChar(ch.charCodeAt(0))) return { error: `contains ${JSON.stringify(ch)}, which is not allowed ${where}` };
  return ch;
}

/** `$NAME` at text[i] (after the '$'): the name ([A-Za-z0-9_]*) and where it ends. */
export function readVariable(text: string, i: number): { name: string; end: number } {
  let end = i;
  while (end < text.length && /[A-Za-z0-9_]/.test(text[end]!)) end++;
  return { name: text.slice(i, end), end };
}

/** A DNS name as a redirect host: labels of letters, digits and '-', not at a label's ends. */
export function isDnsName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  for (const label of host.split('.')) {
    if (label.length === 0 || label.length > 63 || label.startsWith('-') || label.endsWith('-')) return false;
    if (!/^[a-z0-9-]+$/.test(label)) return false;
  }
  return true;
}

/** `host[:port]` with the host a DNS name, an IPv4 address or a bracketed IPv6 address; lower-cased. */
export function parseAuthority(text: string): Parsed<string> {
  const lower = text.toLowerCase();
  let host = lower;
  let port: string | undefined;
  if (lower.startsWith('[')) {
    const close = lower.indexOf(']');
    if (close < 0 || !isIPv6Literal(lower.slice(1, close))) return { ok: false, reason: `${JSON.stringify(text)} is not a valid host` };
    host = lower.slice(0, close + 1);
    const rest = lower.slice(close + 1);
    if (rest.length > 0) {
      if (!rest.startsWith(':')) return { ok: false, reason: `${JSON.stringify(text)} is not a valid host` };
      port = rest.slice(1);
    }
  } else {
    const colon = lower.indexOf(':');
    if (colon >= 0) {
      host = lower.slice(0, colon);
      port = lower.slice(colon + 1);
    }
    if (lower.includes('@')) return { ok: false, reason: 'user information ("user@") is not allowed in a redirect target' };
    if (!isIPv4Literal(host) && !isDnsName(host)) return { ok: false, reason: `${JSON.stringify(host.slice(0, 64))} is not a valid host name` };
  }
  if (port !== undefined && (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)) return { ok: false, reason: 'the port must be from 1 to 65535' };
  return { ok: true, value: lower };
}

/** Reads `$name` at `i` (after the '$'): the variable and where the name ends. */
/** Path, query and fragment characters with variables, appended to `parts`; a reason when invalid. */
function parseRest(text: string, parts: RedirectPart[]): string | undefined {
  let literal = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '$') {
      const { name, end } = readVariable(text, i + 1);
      if (!(REDIRECT_VARIABLES as readonly string[]).includes(name)) {
        return name.length === 0 ? 'a "$" is not followed by a variable name' : `$${name.slice(0, 32)} is not a supported variable (supported: ${REDIRECT_VARIABLES.map((v) => `$${v}`).join(', ')})`;
      }
      if (literal.length > 0) parts.push({ kind: 'text', text: literal });
      literal = '';
      parts.push({ kind: 'var', name: name as RedirectVariable });
      i = end - 1;
      continue;
    }
    const piece = urlLiteralAt(text, i, 'in a URL');
    if (typeof piece !== 'string') return piece.error;
    literal += piece;
    i += piece.length - 1;
  }
  if (literal.length > 0) parts.push({ kind: 'text', text: literal });
  return undefined;
}

/** An absolute http/https redirect target, as typed parts. */
export function parseRedirectUrl(text: string): Parsed<RedirectPart[]> {
  if (text.length > MAX_REDIRECT_LENGTH) return { ok: false, reason: `longer than ${MAX_REDIRECT_LENGTH} characters` };
  const sep = text.indexOf('://');
  if (sep < 0) return { ok: false, reason: 'expected an absolute URL starting with http:// or https://' };
  const scheme = text.slice(0, sep).toLowerCase();
  const parts: RedirectPart[] = [];
  if (scheme === '$scheme') parts.push({ kind: 'var', name: 'scheme' }, { kind: 'text', text: '://' });
  else if (scheme === 'http' || scheme === 'https') parts.push({ kind: 'text', text: `${scheme}://` });
  else return { ok: false, reason: `only http and https are valid schemes (${JSON.stringify(scheme.slice(0, 32))})` };
  const afterScheme = text.slice(sep + 3);
  // The authority ends at the path, query or fragment, or at a variable ('https://x.example$request_uri').
  const hostVariable = afterScheme.startsWith('$') ? readVariable(afterScheme, 1) : undefined;
  let authorityEnd = hostVariable !== undefined ? hostVariable.end : afterScheme.search(/[/?#$]/);
  if (authorityEnd < 0) authorityEnd = afterScheme.length;
  const authority = afterScheme.slice(0, authorityEnd);
  if (hostVariable !== undefined && hostVariable.name !== 'host') return { ok: false, reason: 'only $host may stand for the host of a redirect target' };
  if (authority === '$host') {
    parts.push({ kind: 'var', name: 'host' });
  } else {
    if (authority.length === 0) return { ok: false, reason: 'the URL has no host' };
    const parsed = parseAuthority(authority);
    if (!parsed.ok) return parsed;
    appendText(parts, parsed.value);
  }
  const why = parseRest(afterScheme.slice(authorityEnd), parts);
  if (why !== undefined) return { ok: false, reason: why };
  return { ok: true, value: mergeText(parts) };
}

/** The app root: a path starting with '/' (not '//'), optionally with a query; no variables. */
export function parseAppRoot(text: string): Parsed<string> {
  if (text.length > MAX_REDIRECT_LENGTH) return { ok: false, reason: `longer than ${MAX_REDIRECT_LENGTH} characters` };
  if (!text.startsWith('/') || text.startsWith('//')) return { ok: false, reason: 'expected a path starting with a single "/"' };
  if (text.includes('$')) return { ok: false, reason: 'variables are not allowed in the app root' };
  if (text.includes('#')) return { ok: false, reason: 'a fragment ("#") is not allowed in the app root' };
  const parts: RedirectPart[] = [];
  const why = parseRest(text, parts);
  return why === undefined ? { ok: true, value: text } : { ok: false, reason: why };
}

function appendText(parts: RedirectPart[], text: string): void {
  parts.push({ kind: 'text', text });
}

/** Adjacent text parts joined, so the table is as small as the template. */
function mergeText(parts: RedirectPart[]): RedirectPart[] {
  const out: RedirectPart[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (p.kind === 'text' && last?.kind === 'text') out[out.length - 1] = { kind: 'text', text: last.text + p.text };
    else out.push(p);
  }
  return out;
}
