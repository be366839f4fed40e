// One access-log line per request, formatted cheaply on the request's path and handed to a
// LineWriter that batches the writes off the event loop (observability/line-writer.ts).
//  - json: `{"time":…,"level":"info","msg":"access","service":"gatehouse",…fields}`, the same
//    record the application log writes, one JSON.stringify per line.
//  - combined: nginx's `combined` format, byte for byte, for the tools that read it:
//      $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
//    escaped as nginx escapes variables (`"`, `\`, control and non-ASCII bytes as \xHH). The query
//    string is left out of "$request" as it is of the JSON `path` (it may carry secrets), and the
//    time is UTC (+0000).
import type { Logger } from '../../observability/logger.ts';

export interface AccessLogEntry {
  method: string;
  scheme: 'http' | 'https';
  /** The routing host (lower-case, no port). */
  host: string;
  /** The canonical path; the query string is not logged (it may carry secrets). */
  path: string;
  /** 499 when the client went away before the response completed. */
  status: number;
  route: string | undefined;
  /** 'address:port' of the endpoint, when one was chosen. */
  upstream: string | undefined;
  durationMs: number;
  bytesIn: number;
  /** Response body bytes sent to the client (nginx's $body_bytes_sent). */
  bytesOut: number;
  requestId: string | undefined;
  /** The W3C trace id of the request (the client's, or a new one), once it was routed. */
  traceId?: string;
  client: string;
  /** 'HTTP/1.1', 'HTTP/2.0'. */
  protocol?: string | undefined;
  referer?: string | undefined;
  userAgent?: string | undefined;
  /** Which timeout or limit fired, if any ('read-timeout', 'max-body-size', ...). */
  limit?: string;
  /** Runtime error code or rejection reason, if any. */
  error?: string;
  /** The response was cut off (client gone, or the backend failed mid-body). */
  aborted?: boolean;
  /** An Upgrade (WebSocket) request; the line is written when the tunnel opens, or when it fails. */
  upgrade?: boolean;
}

/** A connection refused or cut before a request was read (a parse error, a head timeout). */
export interface ClientErrorEntry {
  status: number;
  client: string;
  error: string;
  limit?: string;
}

export type AccessLogFormat = 'json' | 'combined';

export interface AccessLog {
  write(entry: AccessLogEntry | ClientErrorEntry): void;
}

export interface AccessLogOptions {
  format: AccessLogFormat;
  /** Takes one formatted line; returns false when it was dropped (back-pressure). */
  write: (line: string) => boolean | void;
  /** The JSON format's `service` field. Default 'gatehouse'. */
  service?: string;
  now?: () => number;
}

export function createAccessLog(options: AccessLogOptions): AccessLog {
  const now = options.now ?? Date.now;
  const write = options.write;
  if (options.format === 'combined') {
    return { write: (entry) => void write(formatCombined(entry, now())) };
  }
  const prefix = `","level":"info","msg":"access","service":${JSON.stringify(options.service ?? 'gatehouse')},`;
  return {
    write(entry) {
      const fields = JSON.stringify(entry);
      // '{}' cannot happen (status and client are always there); the slice drops its '{'.
      write(`{"time":"${isoTime(now())}${prefix}${fields.slice(1)}\n`);
    },
  };
}

/** The access log through an application Logger (info 'access' lines): embedding and tests. */
export function loggerAccessLog(logger: Logger): AccessLog {
  return { write: (entry) => logger.info('access', entry as unknown as Record<string, unknown>) };
}

// Formatting a date costs more than the rest of a line; lines come thousands a second, so the
// text is cached for the millisecond (JSON) or the second (combined) it was made in.
let isoMs = -1;
let isoText = '';
function isoTime(ms: number): string {
  if (ms !== isoMs) {
    isoMs = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
let localSecond = -1;
let localText = '';
/** nginx's $time_local in UTC: `07/Dec/2026:16:48:22 +0000`. */
export function timeLocal(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== localSecond) {
    localSecond = second;
    const d = new Date(second * 1000);
    localText = `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
  }
  return localText;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function formatCombined(entry: AccessLogEntry | ClientErrorEntry, ms: number): string {
  const request = 'method' in entry ? `${entry.method} ${entry.path} ${entry.protocol ?? 'HTTP/1.1'}` : undefined;
  const bytes = 'bytesOut' in entry ? entry.bytesOut : 0;
  const referer = 'referer' in entry ? entry.referer : undefined;
  const agent = 'userAgent' in entry ? entry.userAgent : undefined;
  return `${entry.client || '-'} - - [${timeLocal(ms)}] "${nginxEscape(request)}" ${entry.status} ${bytes} "${nginxEscape(referer)}" "${nginxEscape(agent)}"\n`;
}

// Bytes nginx escapes in log variables (ngx_http_log_escape): ", \, controls, and 0x7f and above.
const NEEDS_ESCAPE = /["\\\x00-\x1f\x7f-\uffff]/;

/** A variable as nginx writes it: '-' when empty or absent, escapes as \xHH. */
export function nginxEscape(value: string | undefined): string {
  if (value === undefined || value === '') return '-';
  if (!NEEDS_ESCAPE.test(value)) return value;
  // Header values are latin1 strings (one char per byte); anything wider is written as UTF-8.
  const bytes = /[^\x00-\xff]/.test(value) ? Buffer.from(value, 'utf8') : Buffer.from(value, 'latin1');
  let out = '';
  for (const b of bytes) {
    out += b === 0x22 || b === 0x5c || b < 0x20 || b >= 0x7f ? `\\x${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
  }
  return out;
}
