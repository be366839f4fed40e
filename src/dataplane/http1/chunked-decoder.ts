// Strict decoder of a chunked request body (RFC 9112 §7.1), as strict as llhttp in strict mode:
// hex sizes without sign, prefix, spaces or underscores and below 2^53; extensions as
// `;token[=token|quoted-string]` with nothing around the separators; CRLF everywhere (never a
// bare LF or CR); chunk data followed by exactly CRLF. The trailer section is parsed like header
// fields and dropped (trailers never become upstream headers); Content-Length or
// Transfer-Encoding in it is refused, as llhttp refuses it.
//
// The decoder is a byte-level state machine that never copies data: `decode` reports each run of
// chunk data as [start, end) offsets into the buffer it was given.

import { TOKEN_CHARS, VALUE_CHARS } from './head-parser.ts';

const CR = 0x0d;
const LF = 0x0a;

const SIZE_START = 0;
const SIZE = 1;
const EXT_NAME_START = 2;
const EXT_NAME = 3;
const EXT_VALUE_START = 4;
const EXT_TOKEN = 5;
const EXT_QUOTED = 6;
const EXT_QUOTED_PAIR = 7;
const EXT_QUOTED_END = 8;
const SIZE_LF = 9;
const DATA = 10;
const DATA_CR = 11;
const DATA_LF = 12;
const TRAILER = 13;
const TRAILER_LF = 14;
const DONE = 15;

const MAX_SIZE_LINE = 4096;

export interface ChunkSink {
  /** A run of chunk data: bytes [start, end) of `buf`. */
  chunkData(buf: Buffer, start: number, end: number): void;
}

export class ChunkedDecoder {
  private state = SIZE_START;
  private size = 0;
  private lineBytes = 0;
  private trailerLine = '';
  private trailerBytes = 0;
  private trailerCount = 0;
  private readonly maxTrailerBytes: number;
  private readonly maxTrailerCount: number;
  /** The trailer fields as [name, value, ...] when asked to keep them (a response's, to relay); else null. */
  trailers: string[] | null;
  /** Set when decode() returns -1: why the body is malformed. */
  error = '';

  constructor(maxTrailerBytes: number, maxTrailerCount: number, keepTrailers = false) {
    this.maxTrailerBytes = maxTrailerBytes;
    this.maxTrailerCount = maxTrailerCount;
    this.trailers = keepTrailers ? [] : null;
  }

  get done(): boolean {
    return this.state === DONE;
  }

  /**
   * Decodes bytes [from, to) of `buf`, reporting data to `sink`. Returns the offset where decoding
   * stopped: `to`, or the first byte after the body once it is complete, or -1 on a malformed body.
   */
  decode(buf: Buffer, from: number, to: number, sink: ChunkSink): number {
    let i = from;
    while (i < to) {
      const c = buf[i]!;
      switch (this.state) {
        case SIZE_START:
        case SIZE: {
          const h = hex(c);
          if (h >= 0) {
            if (this.size > 0x1ffffffffffff) return this.fail('chunk size too large');
            this.size = this.size * 16 + h;
            this.state = SIZE;
          } else if (this.state === SIZE_START) {
            return this.fail('invalid chunk size');
          } else if (c === CR) {
            this.state = SIZE_LF;
          } else if (c === 0x3b /* ; */) {
            this.state = EXT_NAME_START;
          } else {
            return this.fail('invalid chunk size');
          }
          break;
        }
        case EXT_NAME_START:
          if (TOKEN_CHARS[c] !== 1) return this.fail('invalid chunk extension');
          this.state = EXT_NAME;
          break;
        case EXT_NAME:
          if (TOKEN_CHARS[c] === 1) break;
          if (c === 0x3d /* = */) this.state = EXT_VALUE_START;
          else if (c === 0x3b) this.state = EXT_NAME_START;
          else if (c === CR) this.state = SIZE_LF;
          else return this.fail('invalid chunk extension');
          break;
        case EXT_VALUE_START:
          if (c === 0x22 /* " */) this.state = EXT_QUOTED;
          else if (TOKEN_CHARS[c] === 1) this.state = EXT_TOKEN;
          else return this.fail('invalid chunk extension value');
          break;
        case EXT_TOKEN:
          if (TOKEN_CHARS[c] === 1) break;
          if (c === 0x3b) this.state = EXT_NAME_START;
          else if (c === CR) this.state = SIZE_LF;
          else return this.fail('invalid chunk extension value');
          break;
        case EXT_QUOTED:
          if (c === 0x22) this.state = EXT_QUOTED_END;
          else if (c === 0x5c /* \ */) this.state = EXT_QUOTED_PAIR;
          else if (VALUE_CHARS[c] !== 1) return this.fail('invalid byte in a quoted chunk extension');
          break;
        case EXT_QUOTED_PAIR:
          if (VALUE_CHARS[c] !== 1) return this.fail('invalid quoted pair in a chunk extension');
          this.state = EXT_QUOTED;
          break;
        case EXT_QUOTED_END:
          if (c === 0x3b) this.state = EXT_NAME_START;
          else if (c === CR) this.state = SIZE_LF;
          else return this.fail('invalid chunk extension');
          break;
        case SIZE_LF:
          if (c !== LF) return this.fail('bare CR after a chunk size');
          this.lineBytes = 0;
          if (this.size === 0) {
            this.state = TRAILER;
            this.trailerLine = '';
          } else {
            this.state = DATA;
          }
          i++;
          continue;
        case DATA: {
          const n = Math.min(this.size, to - i);
          sink.chunkData(buf, i, i + n);
          this.size -= n;
          i += n;
          if (this.size === 0) this.state = DATA_CR;
          continue;
        }
        case DATA_CR:
          if (c !== CR) return this.fail('chunk data longer than its size or without CRLF');
          this.state = DATA_LF;
          break;
        case DATA_LF:
          if (c !== LF) return this.fail('bare CR after chunk data');
          this.state = SIZE_START;
          this.lineBytes = 0;
          i++;
          continue;
        case TRAILER: {
          // Collect one trailer line (rare: build a string), checked at its CR.
          if (c === CR) {
            this.state = TRAILER_LF;
            break;
          }
          if (c === LF) return this.fail('bare LF in the trailer section');
          if (++this.trailerBytes > this.maxTrailerBytes) return this.fail('trailer section too large');
          this.trailerLine += String.fromCharCode(c);
          break;
        }
        case TRAILER_LF: {
          if (c !== LF) return this.fail('bare CR in the trailer section');
          const line = this.trailerLine;
          this.trailerLine = '';
          i++;
          if (line.length === 0) {
            this.state = DONE;
            return i;
          }
          const bad = checkTrailerLine(line);
          if (bad !== undefined) return this.fail(bad);
          if (++this.trailerCount > this.maxTrailerCount) return this.fail('too many trailer fields');
          if (this.trailers !== null) {
            const colon = line.indexOf(':');
            this.trailers.push(line.slice(0, colon), line.slice(colon + 1).trim());
          }
          this.state = TRAILER;
          continue;
        }
        default:
          return i;
      }
      // Size lines (with their extensions) are bounded: a stream of extension bytes is refused.
      if (this.state <= SIZE_LF && ++this.lineBytes > MAX_SIZE_LINE) return this.fail('chunk size line too long');
      i++;
    }
    return i;
  }

  private fail(reason: string): number {
    this.error = reason;
    return -1;
  }
}

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** A trailer field: token name, ':', a valid value; never a framing header. */
function checkTrailerLine(line: string): string | undefined {
  const colon = line.indexOf(':');
  if (colon <= 0) return 'malformed trailer field';
  for (let k = 0; k < colon; k++) {
    if (TOKEN_CHARS[line.charCodeAt(k)] !== 1) return 'malformed trailer field name';
  }
  for (let k = colon + 1; k < line.length; k++) {
    if (VALUE_CHARS[line.charCodeAt(k)] !== 1) return 'invalid byte in a trailer field';
  }
  const name = line.slice(0, colon).toLowerCase();
  if (name === 'content-length' || name === 'transfer-encoding') return `${name} in the trailer section`;
  return undefined;
}
