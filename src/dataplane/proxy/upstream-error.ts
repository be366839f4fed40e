// What an upstream failure means for the client: the status to answer (when no response byte has
// been sent yet), whether another endpoint may be tried, and the name of the timeout that fired.
import type { PickOutcome } from './endpoint-picker.ts';

export interface UpstreamFailure {
  status: 502 | 503 | 504;
  /** The request never reached a backend application, or was reset before any response byte. */
  retryable: boolean;
  outcome: PickOutcome;
  /** 'connect-timeout' | 'read-timeout' | 'send-timeout' when a timeout fired. */
  limit: string | undefined;
}

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EHOSTDOWN', 'ENOTFOUND']);
const RESETS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED']);

/** Thrown into a dispatch by the proxy itself. */
export class ProxyAbort extends Error {
  readonly code: string;
  constructor(code: 'ERR_SEND_TIMEOUT' | 'ERR_CLIENT_ABORTED' | 'ERR_CLIENT_SEND_TIMEOUT' | 'ERR_BODY_TOO_LARGE' | 'ERR_BAD_RESPONSE_HEADER' | 'ERR_ERROR_PAGE_REPLACED', message: string) {
    super(message);
    this.code = code;
  }
}

export function classifyUpstreamError(err: unknown): UpstreamFailure {
  const code = typeof err === 'object' && err !== null ? String((err as { code?: unknown }).code ?? '') : '';
  if (CONNECT_FAILURES.has(code)) return { status: 502, retryable: true, outcome: 'connect-error', limit: undefined };
  if (RESETS.has(code)) return { status: 502, retryable: true, outcome: 'reset', limit: undefined };
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { status: 504, retryable: true, outcome: 'timeout', limit: 'connect-timeout' };
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return { status: 504, retryable: false, outcome: 'timeout', limit: 'read-timeout' };
    case 'ERR_SEND_TIMEOUT':
      return { status: 504, retryable: false, outcome: 'timeout', limit: 'send-timeout' };
    case 'ERR_CLIENT_ABORTED':
      return { status: 502, retryable: false, outcome: 'aborted', limit: undefined };
    default:
      // Malformed responses (HPE_*, content-length mismatch...), closed pools, anything unexpected.
      return { status: 502, retryable: false, outcome: 'reset', limit: undefined };
  }
}
