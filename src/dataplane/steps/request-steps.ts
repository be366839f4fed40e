// The request-phase steps of the one exchange flow, in order. As ingress-nginx's rewrite phase:
// app-root, CORS (a preflight answered 204), the Ingress's redirect, then the HTTPS redirect;
// access control (refused route, source ranges) and basic auth after. Adding a step is adding a
// file with a RequestStep and one line here.
import type { RouteTarget } from '../compile-table.ts';
import { isSafeHeaderValue } from '../http/header-value.ts';
import { checkBasicAuth, withoutAuthorization } from './basic-auth.ts';
import { checkRouteAccess } from './check-route-access.ts';
import { corsFor } from './cors.ts';
import { redirectsToHttps } from './https-redirect.ts';
import { appRootRedirect, ingressRedirect as ingressRedirectOf, type RedirectRequest } from './redirect.ts';
import { nowOrLater, type RequestStep, type StepAnswer, type StepRequest } from './request-step.ts';
import { externalAuthStep } from './external-auth-step.ts';
import { rateLimitStep } from './rate-limit-step.ts';
import { clientCertificateAfterRedirect, clientCertificateFirst } from './client-certificate-step.ts';
import { renderFixedAnswer } from './fixed-answer.ts';
import { editRequestHeaders, editResponseHeaders, templateContextOf } from './header-edits.ts';

function redirectRequestOf(req: StepRequest): RedirectRequest {
  return { scheme: req.scheme, host: req.host, authority: req.authority ?? '', path: req.path, query: req.query };
}

/** A redirect answer; a location that cannot be a header value is a 400. */
function redirectAnswer(status: number, location: string): StepAnswer {
  if (!isSafeHeaderValue(location)) return { status: 400, error: 'redirect location is not a valid header value', close: true };
  return { status, headers: ['location', location] };
}

const appRoot: RequestStep = {
  name: 'app-root',
  run(target, req) {
    if (target.policy.appRoot === undefined) return undefined;
    const redirect = appRootRedirect(target, redirectRequestOf(req));
    return redirect === undefined ? undefined : redirectAnswer(redirect.status, redirect.location);
  },
};

const cors: RequestStep = {
  name: 'cors',
  run(target, req) {
    if (target.policy.cors === undefined) return undefined;
    const answer = corsFor(target, req.method, req.header('origin'));
    if (answer === undefined) return undefined;
    req.corsHeaders = answer.headers;
    return answer.preflight ? { status: 204, preflight: true } : undefined;
  },
};

const ingressRedirect: RequestStep = {
  name: 'redirect',
  run(target, req) {
    if (target.policy.redirect === undefined) return undefined;
    const redirect = ingressRedirectOf(target, redirectRequestOf(req));
    return redirect === undefined ? undefined : redirectAnswer(redirect.status, redirect.location);
  },
};

// A snippet's `return` (steps/fixed-answer.ts): in nginx's rewrite phase, after the Ingress's own
// redirect and before the HTTPS redirect and access control; its header edits apply to it too.
const fixedAnswer: RequestStep = {
  name: 'fixed-answer',
  run(target, req) {
    const answer = target.policy.fixedAnswer;
    if (answer === undefined) return undefined;
    const ctx = templateContextOf(req);
    const rendered = renderFixedAnswer(answer, ctx);
    if (rendered.close) return { status: 444, drop: true, error: 'return 444' };
    const edits = target.policy.headerEdits;
    const headers = edits === undefined ? rendered.headers : (editResponseHeaders(rendered.headers, rendered.status, edits, ctx) as string[]);
    return { status: rendered.status, headers, body: rendered.body };
  },
};

// Typed request header edits (gatehouse.dev/request-headers, snippets' proxy_set_header), once admitted.
const headerEdits: RequestStep = {
  name: 'header-edits',
  run() {
    return undefined;
  },
  editUpstreamHeaders(target, headers, req) {
    const edits = target.policy.headerEdits;
    return edits === undefined || edits.request.length === 0 ? headers : editRequestHeaders(headers, edits.request, templateContextOf(req));
  },
};

const httpsRedirect: RequestStep = {
  name: 'https-redirect',
  run(target, req) {
    if (!target.tlsRedirect || !redirectsToHttps(target, req.scheme, req.host, req.trustedPeer, req.header('x-forwarded-proto'))) return undefined;
    const port = req.httpsPort;
    return redirectAnswer(308, `https://${req.host}${port === 443 ? '' : `:${port}`}${req.path}${req.query}`);
  },
};

const routeAccess: RequestStep = {
  name: 'route-access',
  run(target, req) {
    const refusal = checkRouteAccess(target, req.clientIp);
    return refusal === undefined ? undefined : { status: refusal.status, error: refusal.error };
  },
};

const basicAuth: RequestStep = {
  name: 'basic-auth',
  run(target, req) {
    const auth = target.basicAuth;
    if (auth === undefined) return undefined;
    return nowOrLater(req, (done) =>
      checkBasicAuth(auth, req.headers.authorization, () => req.clientGone, (denied) => {
        done(denied === undefined ? undefined : { status: denied.status, error: denied.error, headers: denied.headers });
      }),
    );
  },
  // The credentials were for this proxy: they never reach the backend.
  editUpstreamHeaders(target, headers) {
    return target.basicAuth === undefined ? headers : withoutAuthorization(headers);
  },
};

export const REQUEST_STEPS: readonly RequestStep[] = [
  clientCertificateFirst,
  appRoot,
  cors,
  ingressRedirect,
  fixedAnswer,
  httpsRedirect,
  clientCertificateAfterRedirect,
  rateLimitStep,
  routeAccess,
  basicAuth,
  externalAuthStep,
  headerEdits,
];
