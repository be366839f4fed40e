// The engine's raw header list as the lower-cased record Node's IncomingMessage gives (the
// helpers the flow shares with HTTP/2 read it): Node's rules for repeated fields with
// joinDuplicateHeaders off: the first of a singleton field wins, Set-Cookie is a list, Cookie is
// joined with '; ', anything else with ', '.
import type { IncomingHttpHeaders } from 'node:http';

const FIRST_WINS = new Set([
  'content-type',
  'content-length',
  'user-agent',
  'referer',
  'host',
  'authorization',
  'proxy-authorization',
  'if-modified-since',
  'if-unmodified-since',
  'from',
  'location',
  'max-forwards',
  'retry-after',
  'etag',
  'last-modified',
  'server',
  'age',
  'expires',
]);

/**
 * One field of the raw list by its lower-case name, by the same rules as requestHeaders: the flow
 * reads a handful of fields per request, and scanning for them (names compared only when their
 * lengths match) costs less than building the whole record.
 */
export function requestHeader(raw: readonly string[], name: string): string | string[] | undefined {
  let out: string | string[] | undefined;
  const length = name.length;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const n = raw[i]!;
    if (n.length !== length || (n !== name && n.toLowerCase() !== name)) continue;
    const value = raw[i + 1]!;
    if (out === undefined) out = name === 'set-cookie' ? [value] : value;
    else if (name === 'set-cookie') (out as string[]).push(value);
    else if (FIRST_WINS.has(name)) return out;
    else out = `${out as string}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out;
}

export function requestHeaders(raw: readonly string[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const had = out[name];
    if (had === undefined) {
      out[name] = name === 'set-cookie' ? [value] : value;
    } else if (name === 'set-cookie') {
      (had as string[]).push(value);
    } else if (!FIRST_WINS.has(name)) {
      out[name] = `${had as string}${name === 'cookie' ? '; ' : ', '}${value}`;
    }
  }
  return out as IncomingHttpHeaders;
}
