// What an upstream failure means for the client: the status to answer (when nothing was relayed
// yet), whether another attempt may be made, and a stable code for the access log
// ('ECONNREFUSED', 'connect-timeout', 'read-timeout', 'malformed-response', 'aborted', 'queue-full'...).

export class UpstreamError extends Error {
  readonly code: string;
  readonly status: 502 | 503 | 504;
  /** Nothing reached the backend, or the backend closed a reused connection before answering. */
  readonly retryable: boolean;

  constructor(code: string, message: string, status: 502 | 503 | 504, retryable: boolean) {
    super(message);
    this.code = code;
    this.status = status;
    this.retryable = retryable;
  }
}
