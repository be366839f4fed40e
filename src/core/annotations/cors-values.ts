// The values of ingress-nginx's CORS annotations, by grammar: origins are `*` or a comma list of
// scheme://host[:port] patterns (the leftmost label may be `*`, one DNS label, as ingress-nginx's
// `[A-Za-z0-9-]+`); methods and headers are comma lists of RFC 9110 tokens. Nothing is turned
// into a regular expression: the data plane compares origins label by label.

import type { CorsOrigin } from '../policy.ts';
import { parseAuthority } from './redirect-url.ts';
import { isToken, type Parsed } from './value-types.ts';

export const MAX_CORS_LIST_LENGTH = 4096;
export const MAX_CORS_ENTRIES = 64;

function entriesOf(text: string): Parsed<string[]> {
  const entries = text.split(',').map((e) => e.trim());
  if (entries.length > MAX_CORS_ENTRIES) return { ok: false, reason: `more than ${MAX_CORS_ENTRIES} entries` };
  if (entries.some((e) => e.length === 0)) return { ok: false, reason: entries.length === 1 ? 'the list is empty' : 'an entry is empty (a stray comma?)' };
  return { ok: true, value: entries };
}

/** `*`, or origin patterns such as `https://app.example.com, https://*.example.com:8443`. */
export function parseCorsOrigins(text: string): Parsed<'*' | CorsOrigin[]> {
  const entries = entriesOf(text);
  if (!entries.ok) return entries;
  if (entries.value.length === 1 && entries.value[0] === '*') return { ok: true, value: '*' };
  const origins: CorsOrigin[] = [];
  for (const entry of entries.value) {
    const shown = JSON.stringify(entry.length > 64 ? `${entry.slice(0, 64)}...` : entry);
    if (entry === '*') return { ok: false, reason: '"*" (any origin) must be the only entry' };
    const sep = entry.indexOf('://');
    const scheme = sep < 0 ? '' : entry.slice(0, sep).toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') return { ok: false, reason: `${shown} is not an origin: expected http:// or https:// then a host` };
    let authority = entry.slice(sep + 3);
    const wildcard = authority.startsWith('*.');
    if (wildcard) authority = authority.slice(2);
    const parsed = parseAuthority(authority);
    if (!parsed.ok || authority.length === 0) return { ok: false, reason: `${shown} is not an origin (scheme://host[:port], no path)${parsed.ok ? '' : `: ${parsed.reason}`}` };
    origins.push({ scheme, host: wildcard ? `*.${parsed.value}` : parsed.value });
  }
  return { ok: true, value: origins };
}

/** A comma list of tokens (methods, header names), spaces around entries ignored. */
export function parseTokenList(text: string, what: string): Parsed<string[]> {
  const entries = entriesOf(text);
  if (!entries.ok) return entries;
  for (const e of entries.value) {
    if (!isToken(e)) return { ok: false, reason: `${JSON.stringify(e.slice(0, 64))} is not ${what} (an RFC 9110 token)` };
  }
  return { ok: true, value: entries.value };
}
