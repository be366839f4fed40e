// The strict grammar an Ingress path must match before it becomes a route. An allow-list, checked
// by a hand-written scanner over the whole string (so nothing like a multiline regex flag can let
// a second line through). A path that passes is already in the canonical form the data plane gives
// request paths, so a route and the requests meant for it are compared like with like.
//
//   path     = "/" [ segment *( "/" segment ) [ "/" ] ]      ; no empty segment except a final "/"
//   segment  = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "!" / "&" / "," / "=" / ":" / "@" / pct )
//              ; but never "." or ".."
//   pct      = "%" HEXUP HEXUP   ; upper-case, and not an unreserved character, a control,
//                                ; "/", "\", "%", ";", "?", "#" or DEL
//
// Refused on purpose: ";" (path parameters, `/foo/bar/;xpto`), regex-looking characters
// ("*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "^", "$", "\"), quotes, spaces and controls
// (CR, LF, NUL, tab), raw non-ASCII, and anything longer than MAX_INGRESS_PATH_LENGTH.

export const MAX_INGRESS_PATH_LENGTH = 2048;

const ALLOWED = new Uint8Array(128);
const UNRESERVED = new Uint8Array(128);
{
  const unreserved = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';
  for (const ch of unreserved) {
    ALLOWED[ch.charCodeAt(0)] = 1;
    UNRESERVED[ch.charCodeAt(0)] = 1;
  }
  for (const ch of '!&,=:@') ALLOWED[ch.charCodeAt(0)] = 1;
}
const REGEX_LOOKING = '*+?()[]{}|^$\\';

/** Returns a human-readable reason when the path is not acceptable, else undefined. */
export function checkIngressPath(path: string, _match: 'Exact' | 'Prefix'): string | undefined {
  // Exact and Prefix share one grammar: a trailing "/" is meaningful for Exact and ignored by
  // Prefix matching, and neither may contain anything the canonical request path cannot.
  if (path.length === 0 || path.charCodeAt(0) !== 0x2f) return 'path must be absolute (start with "/")';
  if (path.length > MAX_INGRESS_PATH_LENGTH) return `path is longer than ${MAX_INGRESS_PATH_LENGTH} characters`;
  let segStart = 1;
  for (let i = 1; i <= path.length; i++) {
    const c = i < path.length ? path.charCodeAt(i) : 0x2f;
    if (c === 0x2f) {
      const seg = path.slice(segStart, i);
      if (seg === '' && i < path.length) return 'path contains an empty segment ("//")';
      if (seg === '.' || seg === '..') return 'path contains a dot segment ("." or "..")';
      segStart = i + 1;
      continue;
    }
    if (c < 0x20 || c === 0x7f) return `path contains a control character (${controlName(c)})`;
    if (c >= 0x80) return 'path contains a non-ASCII character (percent-encode its UTF-8 bytes)';
    if (ALLOWED[c] === 1) continue;
    if (c === 0x25 /* % */) {
      const reason = checkPercent(path, i);
      if (reason !== undefined) return reason;
      i += 2;
      continue;
    }
    const ch = String.fromCharCode(c);
    if (c === 0x3b) return 'path contains ";" (path parameters are not allowed)';
    if (c === 0x20) return 'path contains a space';
    if (c === 0x23) return 'path contains "#" (a fragment is never part of a request path)';
    if (REGEX_LOOKING.includes(ch)) return `path contains "${ch}": Exact and Prefix paths are literal, never regular expressions`;
    return `path contains the character "${ch}", which is not allowed in a path (percent-encode it)`;
  }
  return undefined;
}

function checkPercent(path: string, i: number): string | undefined {
  const hi = hexValue(path.charCodeAt(i + 1));
  const lo = hexValue(path.charCodeAt(i + 2));
  if (hi < 0 || lo < 0) return 'path contains a malformed percent-encoding';
  const v = hi * 16 + lo;
  const text = path.slice(i, i + 3);
  if (v < 128 && UNRESERVED[v] === 1) return `path contains "${text}", an encoded unreserved character (write "${String.fromCharCode(v)}")`;
  if (v < 0x20 || v === 0x7f || v === 0x2f || v === 0x5c || v === 0x25 || v === 0x3b || v === 0x3f || v === 0x23) {
    return `path contains the forbidden percent-encoding "${text}"`;
  }
  if (text !== text.toUpperCase()) return `path contains a lower-case percent-encoding "${text}" (write it upper-case)`;
  return undefined;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function controlName(c: number): string {
  if (c === 0x0d) return 'CR';
  if (c === 0x0a) return 'LF';
  if (c === 0x00) return 'NUL';
  if (c === 0x09) return 'tab';
  return `0x${c.toString(16).padStart(2, '0')}`;
}
