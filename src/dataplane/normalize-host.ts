// The host a request is routed by: lower-case, port stripped, one trailing dot removed.
// IPv6 literals keep their brackets ('[::1]'); they can never equal an Ingress host (Ingress hosts
// are DNS names), so they route to the catch-all rules. No regex: this runs on every request.

/** Returns '' when the request carried no host (HTTP/1.0 without Host): only host-less rules match. */
export function normalizeHost(raw: string | undefined): string {
  if (raw === undefined || raw.length === 0) return '';
  let end = raw.length;
  if (raw.charCodeAt(0) === 91 /* [ */) {
    const close = raw.indexOf(']');
    end = close === -1 ? raw.length : close + 1;
  } else {
    const colon = raw.indexOf(':');
    if (colon !== -1) end = colon;
  }
  if (end > 1 && raw.charCodeAt(end - 1) === 46 /* . */) end--;
  const host = end === raw.length ? raw : raw.slice(0, end);
  return hasUpper(host) ? host.toLowerCase() : host;
}

function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
    if (c > 127) return true; // let toLowerCase handle anything outside ASCII
  }
  return false;
}
