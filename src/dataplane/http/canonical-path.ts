// STUB (owned by the hardening work): one canonical path, computed before routing,
// used both to match and to forward.

export type CanonicalTarget =
  | { ok: true; path: string; query: string } // query includes the leading '?', or ''
  | { ok: false; status: 400 | 414; reason: string };

export function canonicalizeTarget(rawTarget: string): CanonicalTarget {
  if (!rawTarget.startsWith('/')) return { ok: false, status: 400, reason: 'request target must be origin-form' };
  const q = rawTarget.indexOf('?');
  return q === -1
    ? { ok: true, path: rawTarget, query: '' }
    : { ok: true, path: rawTarget.slice(0, q), query: rawTarget.slice(q) };
}
