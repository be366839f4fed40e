// Fills an external authentication template (core/annotations/auth-template.ts) from facts of the
// request the data plane already parsed and checked. Values are inserted as text, never
// interpreted; the caller validates the result where it becomes a URL or a header value.
import type { IncomingHttpHeaders } from 'node:http';
import type { AuthTemplatePart } from '../../core/policy.ts';
import { parseCookies } from '../proxy/proxy-exchange.ts';

/** What a template may read about the request. */
export interface AuthRequestFacts {
  scheme: 'http' | 'https';
  /** The normalised host (nginx $host). */
  host: string;
  /** The Host header (or :authority) as sent, port included (nginx $http_host); '' when absent. */
  authority: string;
  /** The canonical path, and the query with its '?' ('' when none). */
  path: string;
  query: string;
  method: string;
  /** The client address (the peer, or from X-Forwarded-For behind trusted proxies). */
  clientIp: string;
  /** The port the client connected to. */
  localPort: number;
  requestId: string;
  headers: IncomingHttpHeaders;
}

/**
 * nginx's set_escape_uri (as ingress-nginx uses it for $escaped_request_uri): every byte but
 * letters, digits and "-._~" percent-encoded, so the value is one query parameter.
 */
export function escapeUriComponent(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(ch)) out += ch;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The user of `Authorization: Basic ...` (nginx $remote_user); '' when there is none. */
function remoteUser(authorization: string | undefined): string {
  if (authorization === undefined || authorization.length > 4096 || authorization.slice(0, 6).toLowerCase() !== 'basic ') return '';
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? '' : decoded.slice(0, colon);
}

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  if (v === undefined) return '';
  return Array.isArray(v) ? v.join(name === 'cookie' ? '; ' : ', ') : v;
}

export function renderAuthTemplate(parts: readonly AuthTemplatePart[], f: AuthRequestFacts): string {
  let out = '';
  let cookies: Map<string, string> | undefined;
  for (const p of parts) {
    switch (p.kind) {
      case 'text':
        out += p.text;
        break;
      case 'header':
        out += headerValue(f.headers, p.name);
        break;
      case 'cookie':
        cookies ??= parseCookies(f.headers.cookie);
        out += cookies.get(p.name) ?? '';
        break;
      case 'var':
        out += variable(p.name, f);
        break;
    }
  }
  return out;
}

function variable(name: Extract<AuthTemplatePart, { kind: 'var' }>['name'], f: AuthRequestFacts): string {
  switch (name) {
    case 'scheme':
    case 'pass_access_scheme':
      return f.scheme;
    case 'host':
      return f.host;
    case 'http_host':
      return f.authority;
    case 'best_http_host':
      return f.authority || f.host;
    case 'server_port':
      return String(f.localPort);
    case 'request_uri':
      return f.path + f.query;
    case 'escaped_request_uri':
      return escapeUriComponent(f.path + f.query);
    case 'uri':
      return f.path;
    case 'args':
    case 'query_string':
      return f.query.slice(1);
    case 'is_args':
      return f.query.length > 0 ? '?' : '';
    case 'request_method':
      return f.method;
    case 'remote_addr':
      return f.clientIp;
    case 'req_id':
      return f.requestId;
    case 'remote_user':
      return remoteUser(typeof f.headers.authorization === 'string' ? f.headers.authorization : undefined);
  }
}
