// Client certificates (auth-tls-*) in the exchange flow. Over HTTPS the connection's handshake is
// checked first, before anything else answers, as nginx does at request start: a request for an
// mTLS host whose handshake did not verify what the host asks answers 400 (or 302 to the error
// page), one on a connection opened for another name 421, so a client never reaches an mTLS host
// over another host's connection (HTTP/2 coalescing included). Plain HTTP to an mTLS host is
// refused after the HTTPS redirect had its chance. The verdict's headers go upstream.
import type { RouteTarget } from '../compile-table.ts';
import { checkClientCertificate } from './client-certificate.ts';
import type { RequestStep, StepOutcome, StepRequest } from './request-step.ts';

function verdict(target: RouteTarget, req: StepRequest): StepOutcome {
  const check = checkClientCertificate(target.clientCertificate, req.scheme, req.connection);
  if (!check.ok) {
    return check.location === undefined ? { status: check.status, error: check.error } : { status: check.status, error: check.error, headers: ['location', check.location] };
  }
  req.clientCertificateHeaders = check.headers;
  return undefined;
}

/** Over HTTPS: the first step. */
export const clientCertificateFirst: RequestStep = {
  name: 'client-certificate',
  run(target, req) {
    return req.scheme === 'https' ? verdict(target, req) : undefined;
  },
};

/** Plain HTTP: after the HTTPS redirect; and the verdict's headers for the upstream request. */
export const clientCertificateAfterRedirect: RequestStep = {
  name: 'client-certificate-http',
  run(target, req) {
    return req.scheme === 'http' ? verdict(target, req) : undefined;
  },
  editUpstreamHeaders(_target, headers, req) {
    const extra = req.clientCertificateHeaders;
    return extra === undefined || extra.length === 0 ? headers : [...headers, ...extra];
  },
};
