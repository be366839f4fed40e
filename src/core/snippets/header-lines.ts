// Header names and `Name: value` lines as the header annotations and snippets write them, parsed
// into typed settings. A name is an RFC 9110 token and never one that frames the message or the
// connection (Gatehouse owns those); a value is a template (value-template.ts).

import { isToken } from '../annotations/value-types.ts';
import type { HeaderSetting } from '../policy.ts';
import { parseValueTemplate } from './value-template.ts';

/** Headers that frame the message or the connection: no annotation or snippet may set or clear them. */
export const FRAMING_HEADERS: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'content-length', 'expect', 'http2-settings']);

/** Far more than any real list; bounds the work per request. */
export const MAX_HEADER_LINES = 32;
export const MAX_HEADER_LINES_LENGTH = 16 * 1024;

export type ParsedName = { ok: true; name: string } | { ok: false; reason: string };

/** A lower-case header name; with `allowPrefix`, `X-Debug-*` (kept as `x-debug-*`) names every header starting with `X-Debug-`. */
export function parseHeaderName(text: string, allowPrefix = false): ParsedName {
  const prefix = allowPrefix && text.endsWith('*');
  const name = prefix ? text.slice(0, -1) : text;
  if (prefix && name.length === 0) return { ok: false, reason: 'clearing every header ("*") is not supported' };
  // Stricter than an RFC 9110 token: the names real headers use (letters, digits, '-', '_').
  if (!isToken(name) || !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) return { ok: false, reason: `${JSON.stringify(text.slice(0, 64))} is not a header name (letters, digits, "-" and "_")` };
  const lower = name.toLowerCase();
  if (FRAMING_HEADERS.has(lower)) return { ok: false, reason: `${name} frames the message or the connection; Gatehouse owns it` };
  return { ok: true, name: prefix ? `${lower}*` : lower };
}

export type ParsedLine = { ok: true; setting: HeaderSetting } | { ok: false; reason: string };

/** `Name: value` (blanks after the colon skipped); `Name:` alone has an empty value. */
export function parseHeaderLine(text: string): ParsedLine {
  const colon = text.indexOf(':');
  if (colon < 0) return { ok: false, reason: `${JSON.stringify(text.slice(0, 64))} is not "Name: value"` };
  const name = parseHeaderName(text.slice(0, colon).trim());
  if (!name.ok) return name;
  const value = parseValueTemplate(text.slice(colon + 1).replace(/^[ \t]+/, '').replace(/[ \t]+$/, ''));
  if (!value.ok) return { ok: false, reason: `${name.name}: ${value.reason}` };
  return { ok: true, setting: { name: name.name, value: value.parts } };
}

/** One `Name: value` per line (a YAML block scalar); blank lines are skipped. */
export function parseHeaderLines(text: string): { ok: true; value: HeaderSetting[] } | { ok: false; reason: string } {
  if (text.length > MAX_HEADER_LINES_LENGTH) return { ok: false, reason: `longer than ${MAX_HEADER_LINES_LENGTH} characters` };
  const out: HeaderSetting[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    if (line.trim().length === 0) continue;
    const parsed = parseHeaderLine(line);
    if (!parsed.ok) return { ok: false, reason: lines.length > 1 ? `line ${i + 1}: ${parsed.reason}` : parsed.reason };
    out.push(parsed.setting);
    if (out.length > MAX_HEADER_LINES) return { ok: false, reason: `more than ${MAX_HEADER_LINES} headers` };
  }
  if (out.length === 0) return { ok: false, reason: 'no "Name: value" line' };
  return { ok: true, value: out };
}

/** Comma-separated names, `X-Prefix-*` allowed. */
export function parseHeaderNames(text: string): { ok: true; value: string[] } | { ok: false; reason: string } {
  const out: string[] = [];
  for (const item of text.split(',')) {
    const parsed = parseHeaderName(item.trim(), true);
    if (!parsed.ok) return parsed;
    out.push(parsed.name);
    if (out.length > MAX_HEADER_LINES) return { ok: false, reason: `more than ${MAX_HEADER_LINES} names` };
  }
  return { ok: true, value: out };
}
