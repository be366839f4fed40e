// Building an HTTP/1.1 response head as one latin1 string: a cached status line, the handler's
// header pairs (validated: token names, values without CR, LF, NUL or other controls), then the
// framing and connection headers the engine owns.

import { STATUS_CODES } from 'node:http';
import { TOKEN_CHARS, VALUE_CHARS } from './head-parser.ts';

const statusLines: string[] = [];

/** 'HTTP/1.1 200 OK\r\n', cached per status. */
export function statusLine(status: number): string {
  let line = statusLines[status];
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    if (status >= 100 && status < 1000) statusLines[status] = line;
  }
  return line;
}

/** Thrown before anything is written when a handler passes a header that cannot be sent. */
export class InvalidResponseHeaderError extends Error {
  readonly code = 'ERR_HTTP1_INVALID_RESPONSE_HEADER';
}

/**
 * Header names the engine writes itself: the handler gives the body length as a number and the
 * engine decides framing and persistence, so these never come from the handler's list.
 */
function isEngineOwned(name: string): boolean {
  switch (name.length) {
    case 10:
      return name.toLowerCase() === 'connection' || name.toLowerCase() === 'keep-alive';
    case 14:
      return name.toLowerCase() === 'content-length';
    case 17:
      return name.toLowerCase() === 'transfer-encoding';
    default:
      return false;
  }
}

/** Appends `name: value\r\n` for each pair of the flat list, checking every byte. */
export function headerLines(headers: readonly string[]): string {
  let out = '';
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    if (name.length === 0) throw new InvalidResponseHeaderError('empty response header name');
    for (let k = 0; k < name.length; k++) {
      const c = name.charCodeAt(k);
      if (c > 0xff || TOKEN_CHARS[c] !== 1) throw new InvalidResponseHeaderError(`invalid response header name ${JSON.stringify(name)}`);
    }
    for (let k = 0; k < value.length; k++) {
      const c = value.charCodeAt(k);
      if (c > 0xff || VALUE_CHARS[c] !== 1) throw new InvalidResponseHeaderError(`invalid byte in the value of response header ${name}`);
    }
    if (isEngineOwned(name)) throw new InvalidResponseHeaderError(`response header ${name} is written by the engine`);
    out += `${name}: ${value}\r\n`;
  }
  return out;
}
