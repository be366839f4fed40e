// A URL, header list and client address as a user types them → the ExplainInput the pure
// explanation reads. The path goes through the data plane's own canonicaliser and the host through
// its authority parser, so `gatehouse explain` routes exactly what the proxy would route. The URL
// is split by hand, not with WHATWG URL: that would normalise the path (dot segments, encodings)
// its own way and hide what the proxy does to it.

import { isIP } from 'node:net';
import type { ExplainInput } from '../core/explain-request.ts';
import { parseAuthority } from '../dataplane/http/authority.ts';
import { canonicalizeTarget } from '../dataplane/http/canonical-path.ts';
import { isSafeHeaderValue, isToken } from '../dataplane/http/header-value.ts';

/** A URL, header or address that cannot describe a request: one line, said to the user as is. */
export class ExplainInputError extends Error {
  readonly code = 'ERR_EXPLAIN_INPUT';
  constructor(message: string) {
    super(message.replace(/[\r\n]+/g, ' '));
    this.name = 'ExplainInputError';
  }
}

const MAX_URL = 8192;

export function explainInput(url: string, headerLines: readonly string[] = [], clientIp?: string): ExplainInput {
  if (url.length === 0) throw new ExplainInputError('the URL is empty');
  if (url.length > MAX_URL) throw new ExplainInputError(`the URL is longer than ${MAX_URL} characters`);
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
  let scheme: 'http' | 'https' = 'http';
  let rest = url;
  if (m !== null) {
    const s = m[1]!.toLowerCase();
    if (s !== 'http' && s !== 'https') throw new ExplainInputError(`the URL scheme must be http or https, got ${JSON.stringify(m[1])}`);
    scheme = s;
    rest = url.slice(m[0].length);
  }
  // A fragment never leaves the client: drop it, as curl and browsers do.
  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  let end = 0;
  while (end < rest.length && rest[end] !== '/' && rest[end] !== '?') end++;
  const authorityText = rest.slice(0, end);
  if (authorityText === '') throw new ExplainInputError(`the URL has no host: ${JSON.stringify(url)} (write it as http://HOST/PATH)`);
  if (authorityText.includes('@')) throw new ExplainInputError('the URL carries a user name or password; leave it out');
  if (parseAuthority(authorityText) === undefined) throw new ExplainInputError(`not a valid host[:port]: ${JSON.stringify(authorityText)}`);
  let rawTarget = rest.slice(end);
  if (rawTarget === '') rawTarget = '/';
  else if (rawTarget.startsWith('?')) rawTarget = `/${rawTarget}`;
  const canonical = canonicalizeTarget(rawTarget);
  const target = canonical.ok ? { ok: true as const, path: canonical.path, query: canonical.query } : { ok: false as const, status: canonical.status, reason: canonical.reason };

  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ExplainInputError(`a header is written NAME:VALUE, got ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (!isToken(name)) throw new ExplainInputError(`not a valid header name: ${JSON.stringify(name)}`);
    if (!isSafeHeaderValue(value)) throw new ExplainInputError(`the value of header ${name} holds control characters`);
    if (name === 'host') throw new ExplainInputError('give the host in the URL, not as a Host header');
    // Repeated headers join as a proxy would see them (cookies with '; ', others with ', ').
    headers[name] = headers[name] === undefined ? value : `${headers[name]}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  const input: ExplainInput = { scheme, hostHeader: authorityText, rawTarget, target, headers };
  if (clientIp !== undefined) {
    if (isIP(clientIp) === 0) throw new ExplainInputError(`not an IP address: ${JSON.stringify(clientIp)}`);
    input.clientIp = clientIp;
  }
  return input;
}
