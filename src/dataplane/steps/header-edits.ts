// Typed header edits (core/policy.ts HeaderEdits, from gatehouse.dev/*-headers annotations and
// snippets) applied to the request sent upstream and to the response relayed back. Values are
// templates filled from what the exchange already parsed; a rendered value that is not a safe
// header value (it cannot be, but the check is cheap) is dropped rather than written.

import type { HeaderEdits, HeaderSetting, TemplatePart } from '../../core/policy.ts';
import { isSafeHeaderValue } from '../http/header-value.ts';
import { requestIdFor } from '../http/request-id.ts';
import type { StepRequest } from './request-step.ts';

/** What the documented variables read. */
export interface TemplateContext {
  host: string;
  /** The request target as received (path and query). */
  requestUri: string;
  scheme: 'http' | 'https';
  remoteAddr: string;
  reqId: string;
}

export function renderTemplate(parts: readonly TemplatePart[], ctx: TemplateContext): string {
  let out = '';
  for (const part of parts) {
    if (part.kind === 'text') out += part.text;
    else if (part.name === 'host') out += ctx.host;
    else if (part.name === 'request_uri') out += ctx.requestUri;
    else if (part.name === 'scheme') out += ctx.scheme;
    else if (part.name === 'remote_addr') out += ctx.remoteAddr;
    else out += ctx.reqId;
  }
  return out;
}

/**
 * The upstream header list (flat name/value pairs) with each setting applied: every header of that
 * name is removed, and the rendered value takes the place of the first (Host stays first); an empty
 * value leaves the header out, as nginx's proxy_set_header does.
 */
export function editRequestHeaders(headers: string[], settings: readonly HeaderSetting[], ctx: TemplateContext): string[] {
  let out = headers;
  for (const setting of settings) {
    const value = renderTemplate(setting.value, ctx);
    const keep = value.length > 0 && isSafeHeaderValue(value);
    const next: string[] = [];
    let placed = false;
    for (let i = 0; i + 1 < out.length; i += 2) {
      if (out[i]!.toLowerCase() !== setting.name) {
        next.push(out[i]!, out[i + 1]!);
      } else if (keep && !placed) {
        next.push(setting.name, value);
        placed = true;
      }
    }
    if (keep && !placed) next.push(setting.name, value);
    out = next;
  }
  return out;
}

/** add_header's statuses (nginx ngx_http_headers_filter without `always`). */
const ADD_STATUSES = new Set([200, 201, 204, 206, 301, 302, 303, 304, 307, 308]);

function hidden(name: string, hide: readonly string[]): boolean {
  for (const h of hide) {
    if (h.endsWith('*') ? name.startsWith(h.slice(0, -1)) : name === h) return true;
  }
  return false;
}

/** Response fields (flat pairs, lower-case names) with the hide, set and add edits applied, in that order. */
export function editResponseHeaders(fields: (string | string[])[], status: number, edits: HeaderEdits, ctx: TemplateContext): (string | string[])[] {
  const set = new Set<string>();
  for (const r of edits.response) if (r.mode === 'set') set.add(r.name);
  const out: (string | string[])[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = (fields[i] as string).toLowerCase();
    if (set.has(name) || hidden(name, edits.hide)) continue;
    out.push(fields[i]!, fields[i + 1]!);
  }
  for (const r of edits.response) {
    if (r.mode === 'add' && !r.always && !ADD_STATUSES.has(status)) continue;
    const value = renderTemplate(r.value, ctx);
    // more_set_headers with an empty value only clears; add_header with one adds nothing (nginx).
    if (value.length === 0 || !isSafeHeaderValue(value)) continue;
    if (r.mode === 'set') {
      // The last set of a name wins (a later line replaces an earlier one).
      for (let i = out.length - 2; i >= 0; i -= 2) if ((out[i] as string) === r.name) out.splice(i, 2);
    }
    out.push(r.name, value);
  }
  return out;
}

/** The variables' values for a request of the exchange flow; fixes the request id if none yet. */
export function templateContextOf(req: StepRequest): TemplateContext {
  req.requestId ??= requestIdFor(req.headers['x-request-id']);
  return { host: req.host, requestUri: req.pathAndQuery, scheme: req.scheme, remoteAddr: req.clientIp, reqId: req.requestId };
}
