// One access-log line per request, as data fields (never concatenated into the message).
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
  bytesOut: number;
  requestId: string | undefined;
  /** The W3C trace id of the request (the client's, or a new one), once it was routed. */
  traceId?: string;
  client: string;
  /** Which timeout or limit fired, if any ('read-timeout', 'max-body-size', ...). */
  limit?: string;
  /** Runtime error code or rejection reason, if any. */
  error?: string;
  /** The response was cut off (client gone, or the backend failed mid-body). */
  aborted?: boolean;
  /** An Upgrade (WebSocket) request; the line is written when the tunnel opens, or when it fails. */
  upgrade?: boolean;
}

export function logAccess(logger: Logger, entry: AccessLogEntry): void {
  logger.info('access', entry as unknown as Record<string, unknown>);
}
