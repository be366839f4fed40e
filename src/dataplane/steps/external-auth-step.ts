// External authentication (auth-url) as a request step of the one exchange flow: after basic auth,
// a subrequest without the body decides (steps/external-auth.ts); 2xx lets the request through
// with the auth answer's headers set upstream, anything else answers (401, 302 to signin, 403, 500).
// It decides LATER: the flow resumes with the outcome, or drops it if the client went away.
import type { RouteTarget } from '../compile-table.ts';
import { isSafeHeaderValue } from '../http/header-value.ts';
import { requestIdFor } from '../http/request-id.ts';
import { authCookiesFor, checkExternalAuth, withAuthHeaders } from './external-auth.ts';
import { LATER, nowOrLater, type RequestStep, type StepOutcome, type StepRequest } from './request-step.ts';

function start(target: RouteTarget, req: StepRequest): StepOutcome | typeof LATER {
  const auth = target.externalAuth;
  if (auth === undefined) return undefined;
  const policy = target.policy;
  req.requestId ??= requestIdFor(req.headers['x-request-id']);
  const state = (req.auth = { abort: new AbortController() });
  const facts = {
    scheme: req.scheme,
    host: req.host,
    authority: req.authority ?? '',
    path: req.path,
    query: req.query,
    method: req.method,
    clientIp: req.clientIp,
    localPort: req.localPort,
    requestId: req.requestId,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    connection: req.headers.connection,
    peerAddress: req.peerAddress,
    trustedPeer: req.trustedPeer,
    joinCookies: req.joinCookies,
    routeId: target.routeId,
    connectTimeoutMs: policy.connectTimeoutMs ?? req.timeouts.connectTimeoutMs,
    timeoutMs: policy.readTimeoutMs ?? req.timeouts.readTimeoutMs,
  };
  // A cached answer comes back at once (inside the call): nowOrLater returns it instead of resuming.
  return nowOrLater(req, (done) =>
    checkExternalAuth(auth, facts, state.abort.signal, (outcome) => {
      if (req.clientGone) return;
      if (outcome.allow) {
        if (auth.policy.alwaysSetCookie && outcome.cookies.length > 0) req.auth = { ...state, alwaysCookies: authCookiesFor(0, outcome.cookies, true) };
        req.auth = { ...req.auth, allowed: outcome };
        return done(undefined);
      }
      if (outcome.status === 302 && !isSafeHeaderValue(outcome.headers[1] ?? '')) {
        return done({ status: 400, error: 'redirect location is not a valid header value', close: true });
      }
      // The answer's own headers already carry the cookies when they are due.
      done({ status: outcome.status, error: outcome.error, headers: outcome.headers });
    }),
  );
}

export const externalAuthStep: RequestStep = {
  name: 'external-auth',
  run: start,
  // The auth answer's auth-response-headers replace (or remove) the client's under those names.
  editUpstreamHeaders(_target, headers, req) {
    const allowed = req.auth?.allowed;
    return allowed === undefined ? headers : withAuthHeaders(headers, allowed.upstreamHeaders);
  },
};
