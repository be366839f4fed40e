// limit-rps, limit-rpm and limit-connections as a request step: nginx runs limit_req and
// limit_conn in its preaccess phase, after the rewrite-phase redirects and before allow/deny and
// auth_basic, so this step comes after the HTTPS redirect and before source ranges and basic auth.
// A refused route's 503 comes first (it would never be served anyway). The connection count is
// released by the flow when the request, or its WebSocket tunnel, ends.
import { checkRateLimit } from './rate-limits.ts';
import type { RequestStep } from './request-step.ts';

export const rateLimitStep: RequestStep = {
  name: 'rate-limit',
  run(target, req) {
    if (target.refused !== undefined) return undefined;
    const limited = checkRateLimit(req.rateLimiter, target.rateLimit, req.clientIp);
    if (limited === undefined) return undefined;
    if (limited.refusal !== undefined) {
      req.limit = limited.refusal.limit;
      return { status: limited.refusal.status, error: limited.refusal.error };
    }
    req.releaseLimit = limited.release;
    return undefined;
  },
};
