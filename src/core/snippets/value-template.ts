// A header value or a `return` target/body as typed parts: literal text and references to a small
// documented set of nginx variables, which the data plane fills in from the request it already
// parsed. Nothing is evaluated: any other `$name` is refused by name, and so are control bytes
// (a header value can never end a line) and non-ASCII text.

import type { TemplatePart, TemplateVariable } from '../policy.ts';

export const TEMPLATE_VARIABLES: readonly TemplateVariable[] = ['host', 'request_uri', 'scheme', 'remote_addr', 'req_id'];
const KNOWN = new Set<string>(TEMPLATE_VARIABLES);

/** Longest value accepted: far above real headers (a Content-Security-Policy is a few KiB at most). */
export const MAX_TEMPLATE_LENGTH = 4096;

export type ParsedTemplate = { ok: true; parts: TemplatePart[] } | { ok: false; reason: string };

function isNameChar(c: string | undefined): boolean {
  return c !== undefined && /^[A-Za-z0-9_]$/.test(c);
}

export function parseValueTemplate(text: string): ParsedTemplate {
  if (text.length > MAX_TEMPLATE_LENGTH) return { ok: false, reason: `the value is longer than ${MAX_TEMPLATE_LENGTH} characters` };
  const parts: TemplatePart[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal.length > 0) parts.push({ kind: 'text', text: literal });
    literal = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0d || c === 0x0a) return { ok: false, reason: 'the value contains a line break (CR or LF)' };
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return { ok: false, reason: 'the value contains a control character' };
    if (c > 0x7e) return { ok: false, reason: 'the value contains a non-ASCII character' };
    if (text[i] !== '$') {
      literal += text[i];
      continue;
    }
    let name: string;
    if (text[i + 1] === '{') {
      const close = text.indexOf('}', i + 2);
      if (close < 0) return { ok: false, reason: 'a "${" variable is not closed' };
      name = text.slice(i + 2, close);
      i = close;
    } else {
      let j = i + 1;
      while (isNameChar(text[j])) j++;
      name = text.slice(i + 1, j);
      i = j - 1;
    }
    if (name.length === 0) return { ok: false, reason: 'a "$" is not followed by a variable name (nginx has no escape for a literal "$")' };
    if (!KNOWN.has(name)) return { ok: false, reason: `the variable $${name.slice(0, 64)} is not one Gatehouse fills in (${TEMPLATE_VARIABLES.map((v) => `$${v}`).join(', ')})` };
    flush();
    parts.push({ kind: 'var', name: name as TemplateVariable });
  }
  flush();
  return { ok: true, parts };
}

/** The template as written (variables as `$name`), for explanations and reports. */
export function templateText(parts: readonly TemplatePart[]): string {
  return parts.map((p) => (p.kind === 'text' ? p.text : `$${p.name}`)).join('');
}
