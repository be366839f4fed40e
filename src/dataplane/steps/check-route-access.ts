// The access step, run once per request right after routing (HTTP/1, HTTP/2, HTTPS and upgrades
// alike): a refused route answers 503 with its diagnostic code, never forwarded (docs/security.md,
// "Fail closed"); a client outside the route's source ranges answers 403.
import type { RouteTarget } from '../compile-table.ts';

export interface AccessRefusal {
  status: 403 | 503;
  /** For the access log's `error` field: the refusing diagnostic code, or why the client was refused. */
  error: string;
}

/** undefined: the request may go on. `clientAddress` as the data plane computed it (trusted proxies honoured). */
export function checkRouteAccess(target: RouteTarget, clientAddress: string): AccessRefusal | undefined {
  if (target.refused !== undefined) return { status: 503, error: target.refused };
  const ranges = target.sourceRanges;
  if (ranges !== undefined && !ranges.admits(clientAddress)) return { status: 403, error: 'source address not allowed' };
  return undefined;
}
