// Strict parsers for the annotations that edit the request sent upstream and the Location of its
// response: rewrite-target, x-forwarded-prefix, upstream-vhost, proxy-redirect-from/-to. Their
// character sets are ingress-nginx's own validators (internal/ingress/annotations/parser/
// validators.go: RegexPathWithCapture, URLIsValidRegex, ValidateServerName), with nginx variables
// narrowed to what Gatehouse fills in itself: `$1`…`$9` in rewrite-target, none elsewhere. The
// values become typed data; nothing is ever evaluated or copied into configuration text.

import type { ProxyRedirectValue, RewritePart } from '../policy.ts';
import { parseAuthority } from './redirect-url.ts';
import type { Parsed } from './value-types.ts';

/** Longest value of these annotations: a path or URL, far longer than real ones. */
export const MAX_UPSTREAM_VALUE_LENGTH = 1024;

/** ingress-nginx's alphaNumericChars: letters, digits and `-._~/:`. */
function isPathChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || '-._~/:'.includes(String.fromCharCode(c));
}

/**
 * rewrite-target: `/?[-._~a-zA-Z0-9/:$]*` where each `$` starts a capture reference `$1`…`$9`
 * (ingress-nginx's RegexPathWithCapture, without the nginx variables it would also let through).
 */
export function parseRewriteTarget(text: string): Parsed<RewritePart[]> {
  if (text.length === 0) return { ok: false, reason: 'expected a path such as /$2' };
  // nginx turns a replacement starting with http:// or https:// into a redirect: that is what
  // permanent-redirect and temporal-redirect are for. Anything else must give an absolute path.
  if (/^https?:/i.test(text)) return { ok: false, reason: 'a URL makes nginx redirect instead of rewrite; use permanent-redirect or temporal-redirect' };
  if (text[0] !== '/' && text[0] !== '$') return { ok: false, reason: 'expected a path starting with "/" (or a capture reference)' };
  const parts: RewritePart[] = [];
  let literal = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x24 /* $ */) {
      const d = text.charCodeAt(i + 1);
      if (!(d >= 0x31 && d <= 0x39)) return { ok: false, reason: `"$" must start a capture reference $1 to $9 (at ${JSON.stringify(text.slice(i, i + 8))}); nginx variables are not read` };
      if (literal !== '') parts.push({ kind: 'text', text: literal });
      literal = '';
      parts.push({ kind: 'group', index: d - 0x30 });
      i++;
      continue;
    }
    if (!isPathChar(c)) return { ok: false, reason: `the character ${JSON.stringify(text[i])} is not allowed (letters, digits, -._~/: and $1 to $9)` };
    literal += text[i];
  }
  if (literal !== '') parts.push({ kind: 'text', text: literal });
  return { ok: true, value: parts };
}

/** x-forwarded-prefix: a path of letters, digits and `-._~/:` (RegexPathWithCapture, no `$`). */
export function parseForwardedPrefix(text: string): Parsed<string> {
  if (text.length === 0) return { ok: false, reason: 'expected a path such as /app' };
  for (let i = 0; i < text.length; i++) {
    if (!isPathChar(text.charCodeAt(i))) return { ok: false, reason: `the character ${JSON.stringify(text[i])} is not allowed (letters, digits and -._~/:)` };
  }
  return { ok: true, value: text };
}

/** upstream-vhost: `host[:port]`, a DNS name, IPv4 or bracketed IPv6 address, lower-cased. */
export function parseUpstreamVhost(text: string): Parsed<string> {
  const parsed = parseAuthority(text);
  if (!parsed.ok) return { ok: false, reason: `expected host[:port]: ${parsed.reason.replace('a redirect target', 'a host')}` };
  return parsed;
}

/**
 * proxy-redirect-from / -to: `off`, `default` (from only), or text of URL characters
 * (URLIsValidRegex: letters, digits, `-._~/:,?&=`). nginx's `~` regex form is not among them.
 */
export function parseProxyRedirect(text: string): Parsed<ProxyRedirectValue> {
  if (text === 'off' || text === 'default') return { ok: true, value: { kind: text } };
  if (text.length === 0) return { ok: false, reason: 'expected off, default, or a URL prefix such as http://backend.internal/' };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isPathChar(c) && !',?&='.includes(text[i]!)) return { ok: false, reason: `the character ${JSON.stringify(text[i])} is not allowed (letters, digits and -._~/:,?&=)` };
  }
  return { ok: true, value: { kind: 'text', text } };
}
