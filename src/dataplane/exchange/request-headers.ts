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
