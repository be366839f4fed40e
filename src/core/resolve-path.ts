// One HTTPIngressPath's pathType and path, turned into what the data plane matches on.
// ImplementationSpecific is compiled as Prefix (docs/routing.md); an empty path means '/'
// where the API allows it to be empty (Prefix, ImplementationSpecific).

import type { Diagnostic } from './diagnostics.ts';
import { makeDiagnostic } from './diagnostic-codes.ts';
import type { HTTPIngressPath, Ingress, PathType } from './model.ts';
import { objectRef } from './object-ref.ts';
import { checkIngressPath } from './path-grammar.ts';
import { quoteValue } from './quote-value.ts';
import { checkRegexPath } from './regex-path.ts';
import type { MatchType } from './route-table.ts';

export type PathResolution =
  | { ok: true; path: string; match: MatchType; pathType: PathType }
  | { ok: false; diagnostic: Diagnostic };

const PATH_TYPES: ReadonlySet<string> = new Set<PathType>(['Exact', 'Prefix', 'ImplementationSpecific']);

/** `field` is the path's own field, e.g. 'spec.rules[0].http.paths[1]'. */
export function resolvePath(entry: HTTPIngressPath, ingress: Ingress, field: string): PathResolution {
  const pathType = entry.pathType;
  if (pathType === undefined || !PATH_TYPES.has(pathType)) {
    const what = pathType === undefined ? 'pathType is required' : `pathType ${quoteValue(pathType)} is not valid`;
    return fail(ingress, `${field}.pathType`, 'PathTypeInvalid', `${what}: use Exact, Prefix or ImplementationSpecific`);
  }
  const typed = pathType as PathType;
  const match: MatchType = typed === 'Exact' ? 'Exact' : 'Prefix';
  const path = entry.path ?? '';
  if (path === '') {
    if (match === 'Exact') return fail(ingress, `${field}.path`, 'PathInvalid', 'pathType Exact needs a path');
    return { ok: true, path: '/', match, pathType: typed };
  }
  const reason = checkIngressPath(path, match);
  if (reason !== undefined) return fail(ingress, `${field}.path`, 'PathInvalid', `path ${quoteValue(path)} is not valid: ${reason}`);
  return { ok: true, path, match, pathType: typed };
}

/**
 * A path on a regex host (regex-hosts.ts), as ingress-nginx writes it: `location ~* "^<path>"`.
 * Exact and Prefix paths still pass the literal path grammar (ingress-nginx's strict path
 * validation refuses regex characters in them too), then are matched as regexes like the rest;
 * ImplementationSpecific paths are patterns, checked and size-capped by regex-path.ts.
 */
export function resolveRegexPath(entry: HTTPIngressPath, ingress: Ingress, field: string): PathResolution {
  const literal = resolvePath(entry, ingress, field);
  if (entry.pathType !== 'ImplementationSpecific' && !literal.ok) return literal;
  const path = literal.ok ? literal.path : entry.path === undefined || entry.path === '' ? '/' : entry.path;
  const checked = checkRegexPath(path);
  if (!checked.ok) return fail(ingress, `${field}.path`, 'PathRegexInvalid', `regex path ${quoteValue(path.length > 200 ? `${path.slice(0, 200)}...` : path)} is not valid: ${checked.reason}`);
  return { ok: true, path, match: 'Regex', pathType: entry.pathType as PathType };
}

function fail(ingress: Ingress, field: string, code: 'PathInvalid' | 'PathTypeInvalid' | 'PathRegexInvalid', message: string): PathResolution {
  return { ok: false, diagnostic: makeDiagnostic(code, objectRef(ingress), field, message) };
}
