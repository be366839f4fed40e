// Whether a failed upstream attempt is tried again on another endpoint: a pure function of the
// attempt's facts, so the rule is one table (test/dataplane/retry-decision.test.ts).
import type { PickOutcome } from '../proxy/endpoint-picker.ts';

export interface FailedAttempt {
  /** The failure never reached a backend application, or was a reset before any response byte. */
  retryable: boolean;
  outcome: PickOutcome;
  method: string;
  /** The backend's response head arrived (it answered: never retried). */
  headReceived: boolean;
  /** Response bytes reached the client. */
  responseStarted: boolean;
  /** The request had a body (streamed once: it cannot be sent again). */
  hasBody: boolean;
  /** Endpoints already failed for this request, this one included. */
  failedSoFar: number;
  /** The route's retry count (proxy-next-upstream-tries - 1). */
  retries: number;
}

/** RFC 9110 §9.2.2. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export function retryDecision(a: FailedAttempt): boolean {
  if (!a.retryable || a.headReceived || a.responseStarted || a.hasBody) return false;
  // A reset may come after the backend acted on the request: only idempotent methods retry it.
  if (a.outcome === 'reset' && !IDEMPOTENT.has(a.method)) return false;
  return a.failedSoFar <= a.retries;
}
