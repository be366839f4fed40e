// The templates of external authentication (ingress-nginx auth-url, auth-signin,
// auth-request-redirect, auth-cache-key), parsed into typed parts: literal text and references to
// the nginx variables people use in them. Nothing is evaluated here or later: the data plane fills
// each reference from the request it already parsed (steps/external-auth-render.ts). A variable
// outside the documented set, a malformed URL, a scheme other than http/https, user information or
// a bad host is refused with a reason that names what is wrong.

import type { AuthTemplatePart, AuthVariable } from '../policy.ts';
import { parseAuthority, readVariable, urlLiteralAt } from './redirect-url.ts';
import type { Parsed } from './value-types.ts';

/** Longest URL template accepted (the checked value, before any variable is filled in). */
export const MAX_AUTH_URL_LENGTH = 2048;

/** Variables a URL template may use: facts of the request Gatehouse already parsed and checked. */
export const AUTH_URL_VARIABLES: readonly AuthVariable[] = [
  'scheme',
  'pass_access_scheme',
  'host',
  'http_host',
  'best_http_host',
  'server_port',
  'request_uri',
  'escaped_request_uri',
  'uri',
  'args',
  'query_string',
  'is_args',
  'request_method',
  'remote_addr',
  'req_id',
];

/** Variables the cache key may use besides these: $remote_user, $http_NAME and $cookie_NAME. */
export const AUTH_KEY_VARIABLES: readonly AuthVariable[] = [...AUTH_URL_VARIABLES, 'remote_user'];

/** Variables that may stand for the host of a URL template (optionally followed by a literal ':port'). */
const HOST_VARIABLES: ReadonlySet<string> = new Set(['host', 'http_host', 'best_http_host']);
const SCHEME_VARIABLES: ReadonlySet<string> = new Set(['scheme', 'pass_access_scheme']);

/** Header and cookie names a key may read: nginx's $http_NAME (with '_' for '-') and $cookie_NAME. */
const NAME = /^[A-Za-z0-9_]+$/;


function unsupported(name: string, allowed: readonly string[], extra = ''): string {
  return name.length === 0
    ? 'a "$" is not followed by a variable name'
    : `$${name.slice(0, 40)} is not a supported variable (supported: ${allowed.map((v) => `$${v}`).join(', ')}${extra})`;
}

/**
 * URI characters (path, query, fragment) with variables, appended to `parts`. `keyVariables`
 * allows the cache key's extra variables. Returns why the text is refused, if it is.
 */
function parseText(text: string, parts: AuthTemplatePart[], allowed: readonly AuthVariable[], keyVariables: boolean): string | undefined {
  let literal = '';
  const flush = (): void => {
    if (literal.length > 0) parts.push({ kind: 'text', text: literal });
    literal = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '$') {
      const { name, end } = readVariable(text, i + 1);
      if ((allowed as readonly string[]).includes(name)) {
        flush();
        parts.push({ kind: 'var', name: name as AuthVariable });
      } else if (keyVariables && name.startsWith('http_') && name.length > 5 && NAME.test(name)) {
        flush();
        parts.push({ kind: 'header', name: name.slice(5).toLowerCase().replaceAll('_', '-') });
      } else if (keyVariables && name.startsWith('cookie_') && name.length > 7 && NAME.test(name)) {
        flush();
        parts.push({ kind: 'cookie', name: name.slice(7) });
      } else {
        return unsupported(name, allowed, keyVariables ? ', $http_NAME, $cookie_NAME' : '');
      }
      i = end - 1;
      continue;
    }
    const piece = urlLiteralAt(text, i, 'here');
    if (typeof piece !== 'string') return piece.error;
    literal += piece;
    i += piece.length - 1;
  }
  flush();
  return undefined;
}

/**
 * An absolute http/https URL template (auth-url, auth-signin). The scheme may be $scheme; the host
 * may be $host, $http_host or $best_http_host (with a literal ':port' after it); path and query may
 * use the URL variables.
 */
export function parseAuthUrlTemplate(text: string): Parsed<AuthTemplatePart[]> {
  if (text.length > MAX_AUTH_URL_LENGTH) return { ok: false, reason: `longer than ${MAX_AUTH_URL_LENGTH} characters` };
  const sep = text.indexOf('://');
  if (sep < 0) return { ok: false, reason: 'expected an absolute URL starting with http:// or https://' };
  const schemeText = text.slice(0, sep);
  const parts: AuthTemplatePart[] = [];
  if (schemeText.startsWith('$')) {
    const name = schemeText.slice(1);
    if (!SCHEME_VARIABLES.has(name)) return { ok: false, reason: `${schemeText.slice(0, 40)} cannot stand for the scheme (only $scheme or $pass_access_scheme)` };
    parts.push({ kind: 'var', name: name as AuthVariable }, { kind: 'text', text: '://' });
  } else {
    const scheme = schemeText.toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') return { ok: false, reason: `only http and https are valid schemes (${JSON.stringify(scheme.slice(0, 32))})` };
    parts.push({ kind: 'text', text: `${scheme}://` });
  }
  const rest = text.slice(sep + 3);
  let authorityEnd: number;
  if (rest.startsWith('$')) {
    const v = readVariable(rest, 1);
    if (!HOST_VARIABLES.has(v.name)) return { ok: false, reason: v.name.length === 0 ? 'the URL has no host' : `$${v.name.slice(0, 40)} cannot stand for the host (only $host, $http_host or $best_http_host)` };
    parts.push({ kind: 'var', name: v.name as AuthVariable });
    authorityEnd = v.end;
    // A literal port may follow the host variable ('$host:8443').
    const port = /^:([0-9]{1,5})(?=[/?#]|$)/.exec(rest.slice(authorityEnd));
    if (port !== null) {
      const n = Number(port[1]);
      if (n < 1 || n > 65535) return { ok: false, reason: 'the port must be from 1 to 65535' };
      parts.push({ kind: 'text', text: `:${port[1]}` });
      authorityEnd += port[0].length;
    }
    if (authorityEnd < rest.length && !'/?#'.includes(rest[authorityEnd]!)) return { ok: false, reason: 'the host variable must be followed by ":port", "/", "?" or the end' };
  } else {
    authorityEnd = rest.search(/[/?#$]/);
    if (authorityEnd < 0) authorityEnd = rest.length;
    const authority = rest.slice(0, authorityEnd);
    if (authority.length === 0) return { ok: false, reason: 'the URL has no host' };
    if (authority.includes('@')) return { ok: false, reason: 'user information ("user@") is not allowed in the URL' };
    const parsed = parseAuthority(authority);
    if (!parsed.ok) return parsed;
    parts.push({ kind: 'text', text: parsed.value });
  }
  const tail = rest.slice(authorityEnd);
  if (tail.includes('#')) return { ok: false, reason: 'a fragment ("#") is not allowed in the URL' };
  const why = parseText(tail, parts, AUTH_URL_VARIABLES, false);
  if (why !== undefined) return { ok: false, reason: why };
  return { ok: true, value: mergeText(parts) };
}

/** A header value template (auth-request-redirect): URI characters and the URL variables. */
export function parseAuthTextTemplate(text: string): Parsed<AuthTemplatePart[]> {
  if (text.length > MAX_AUTH_URL_LENGTH) return { ok: false, reason: `longer than ${MAX_AUTH_URL_LENGTH} characters` };
  if (text.length === 0) return { ok: false, reason: 'empty' };
  const parts: AuthTemplatePart[] = [];
  const why = parseText(text, parts, AUTH_URL_VARIABLES, false);
  return why === undefined ? { ok: true, value: mergeText(parts) } : { ok: false, reason: why };
}

/** The cache key template (auth-cache-key): the URL variables, $remote_user, $http_NAME, $cookie_NAME. */
export function parseAuthKeyTemplate(text: string): Parsed<AuthTemplatePart[]> {
  if (text.length > MAX_AUTH_URL_LENGTH) return { ok: false, reason: `longer than ${MAX_AUTH_URL_LENGTH} characters` };
  const parts: AuthTemplatePart[] = [];
  const why = parseText(text, parts, AUTH_KEY_VARIABLES, true);
  if (why !== undefined) return { ok: false, reason: why };
  if (!parts.some((p) => p.kind !== 'text')) return { ok: false, reason: 'uses no variable: every request would share one cached answer' };
  return { ok: true, value: mergeText(parts) };
}

/** Adjacent text parts joined, so the table is as small as the template. */
function mergeText(parts: AuthTemplatePart[]): AuthTemplatePart[] {
  const out: AuthTemplatePart[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (p.kind === 'text' && last?.kind === 'text') out[out.length - 1] = { kind: 'text', text: last.text + p.text };
    else out.push(p);
  }
  return out;
}
