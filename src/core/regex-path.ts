// Regex paths as ingress-nginx writes them (`location ~* "^<path>"`): case-insensitive, anchored at
// the start only, so a match is a prefix of the request path. Tenant patterns only ever run on
// re2js, a pure JavaScript port of RE2: matching is linear in the path, whatever the pattern, so no
// path can make routing slow (never V8's backtracking RegExp). The builder checks patterns here
// (checkRegexPath) and the table keeps them as strings; the data plane, resolve-request.ts and
// explain-request.ts compile them with the same function, so all three agree on every path.
//
// Caps: the pattern's length and the compiled program's size, so a table cannot hold a pattern
// that costs much memory or time per byte of path. re2js refuses what RE2 refuses (backreferences,
// lookaround, possessive quantifiers): such a pattern is a diagnostic, never a route.

import { RE2JS } from 're2js';

/** Longest regex path accepted, in characters (ingress-nginx has no cap; real ones are < 200). */
export const MAX_REGEX_PATH_LENGTH = 1024;
/** Largest compiled program, in RE2 instructions (`/api/v[0-9]+/(.*)` is about 30). */
export const MAX_REGEX_PROGRAM_SIZE = 2000;

export interface CompiledRegexPath {
  readonly pattern: string;
  /** 0 when the pattern has no capture group. */
  readonly groups: number;
  /** Does the pattern match at the start of the path (a prefix match)? */
  test(path: string): boolean;
  /** The capture groups 0..groups of the match at the start of the path ('' for a group that took no part), or undefined. */
  exec(path: string): string[] | undefined;
}

export type RegexPathCheck = { ok: true; compiled: CompiledRegexPath } | { ok: false; reason: string };

/**
 * Checks and compiles a regex path. The characters allowed are ingress-nginx's path validation
 * (`IsValidRegex`: letters, digits, `-._~/:` and `^$[](){}*+?|&=\`); anything else (space, quotes,
 * `;`, `#`, `%`-less raw bytes, controls, non-ASCII) is refused, so nothing but a pattern gets in.
 */
export function checkRegexPath(pattern: string): RegexPathCheck {
  if (pattern.length === 0 || pattern.charCodeAt(0) !== 0x2f) return { ok: false, reason: 'a regex path must start with "/"' };
  if (pattern.length > MAX_REGEX_PATH_LENGTH) return { ok: false, reason: `a regex path is at most ${MAX_REGEX_PATH_LENGTH} characters` };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (ALLOWED[c] !== 1) return { ok: false, reason: `the character ${describeChar(c)} is not allowed in a regex path` };
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `the RE2 engine refuses it (${why.length > 160 ? `${why.slice(0, 160)}...` : why})` };
  }
  const size = re.programSize();
  if (size > MAX_REGEX_PROGRAM_SIZE) return { ok: false, reason: `it compiles to ${size} instructions, more than the cap of ${MAX_REGEX_PROGRAM_SIZE}` };
  return { ok: true, compiled: wrap(pattern, re) };
}

/** Compiled patterns by text: the data plane compiles each once per table; the reference lookup reuses them. */
const cache = new Map<string, CompiledRegexPath | null>();
const CACHE_LIMIT = 4096;

/** The compiled pattern, or undefined when checkRegexPath refuses it (the builder never emits those). */
export function compileRegexPath(pattern: string): CompiledRegexPath | undefined {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit ?? undefined;
  const checked = checkRegexPath(pattern);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, checked.ok ? checked.compiled : null);
  return checked.ok ? checked.compiled : undefined;
}

/** Does the regex path match (at the start, case-insensitively)? A refused pattern matches nothing. */
export function regexPathMatches(pattern: string, path: string): boolean {
  return compileRegexPath(pattern)?.test(path) === true;
}

function wrap(pattern: string, re: RE2JS): CompiledRegexPath {
  const groups = re.groupCount();
  return {
    pattern,
    groups,
    test(path: string): boolean {
      return re.matcher(path).lookingAt();
    },
    exec(path: string): string[] | undefined {
      const m = re.matcher(path);
      if (!m.lookingAt()) return undefined;
      const out: string[] = [];
      for (let g = 0; g <= groups; g++) out.push(m.group(g) ?? '');
      return out;
    },
  };
}

const ALLOWED = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/:^$[](){}*+?|&=\\,!@%') ALLOWED[ch.charCodeAt(0)] = 1;

function describeChar(c: number): string {
  if (c < 0x20 || c === 0x7f) return `0x${c.toString(16).padStart(2, '0')} (a control character)`;
  if (c >= 0x80) return `"${String.fromCharCode(c)}" (non-ASCII: percent-encode it)`;
  if (c === 0x20) return '" " (a space)';
  return `"${String.fromCharCode(c)}"`;
}
