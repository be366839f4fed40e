// RouteTable.sni compiled into two hash maps (exact names, one-label wildcard suffixes) pointing at
// cached SecureContexts. A handshake does at most two map lookups; the default certificate is the
// caller's fallback when this answers undefined.

import type { SecureContext } from 'node:tls';
import type { RouteTable } from '../../core/route-table.ts';
import type { SecureContextCache } from './secure-context-cache.ts';

export interface SniSelection {
  certificate: string; // 'ns/secret'
  context: SecureContext;
}

export interface SniIndex {
  exact: ReadonlyMap<string, SniSelection>;
  /** Keyed by what follows '*.': 'example.com' for '*.example.com'. */
  wildcard: ReadonlyMap<string, SniSelection>;
  /** Cache keys this index uses (everything else may be dropped from the cache). */
  contextKeys: ReadonlySet<string>;
  /** Entries left out (their names get the default certificate), for logs. Never key material. */
  problems: { host: string; certificate: string; code: string }[];
}

export function compileSniIndex(table: Pick<RouteTable, 'sni' | 'certificates'>, cache: SecureContextCache): SniIndex {
  const exact = new Map<string, SniSelection>();
  const wildcard = new Map<string, SniSelection>();
  const contextKeys = new Set<string>();
  const problems: SniIndex['problems'] = [];
  for (const entry of table.sni) {
    const cert = table.certificates[entry.certificate];
    if (cert === undefined) {
      problems.push({ host: entry.host, certificate: entry.certificate, code: 'ERR_TLS_CERTIFICATE_NOT_IN_TABLE' });
      continue;
    }
    const result = cache.get(cert);
    if (!result.ok) {
      problems.push({ host: entry.host, certificate: entry.certificate, code: result.code });
      continue;
    }
    contextKeys.add(result.key);
    const selection: SniSelection = { certificate: entry.certificate, context: result.context };
    const host = entry.host.toLowerCase();
    // The builder gives each name one certificate; should two entries still collide, the first wins.
    if (host.startsWith('*.')) {
      if (!wildcard.has(host.slice(2))) wildcard.set(host.slice(2), selection);
    } else if (!exact.has(host)) {
      exact.set(host, selection);
    }
  }
  return { exact, wildcard, contextKeys, problems };
}

/** Exact name, then the one-label wildcard ('a.example.com' → '*.example.com', never deeper). */
export function lookupSni(index: SniIndex, servername: string): SniSelection | undefined {
  const name = normalizeServername(servername);
  if (name === '') return undefined;
  const hit = index.exact.get(name);
  if (hit !== undefined) return hit;
  const dot = name.indexOf('.');
  if (dot <= 0 || dot === name.length - 1) return undefined;
  return index.wildcard.get(name.slice(dot + 1));
}

/** SNI is case-insensitive and may carry the absolute-name trailing dot. */
export function normalizeServername(servername: string): string {
  let name = servername;
  if (name.endsWith('.')) name = name.slice(0, -1);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 127) return name.toLowerCase();
  }
  return name;
}
