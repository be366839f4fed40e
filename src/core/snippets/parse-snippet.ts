// ingress-nginx's configuration-snippet and server-snippet, read through a strict grammar that
// accepts only the header and `return` directives people use them for, in their plain forms:
//   more_set_headers 'Name: value' ...;   more_clear_headers 'Name' 'X-Prefix-*' ...;
//   add_header Name value [always];       proxy_set_header Name value;
//   proxy_hide_header Name;               return CODE [URL | TEXT];   return URL;
// Each becomes typed settings (policy.ts HeaderEdits, FixedAnswer); values may use only the
// documented variables (value-template.ts). Anything else — another directive, a block, an option,
// an unknown variable — fails the whole snippet with the directive and its line: an ignored
// `deny all;` would be a hole, so the caller refuses the Ingress. Nothing is ever written back into
// configuration text.

import type { FixedAnswer, HeaderSetting, ResponseHeaderSetting, TemplatePart } from '../policy.ts';
import { parseHeaderLine, parseHeaderName } from './header-lines.ts';
import { lexNginx, type NginxToken } from './nginx-tokens.ts';
import { parseValueTemplate } from './value-template.ts';

/** A snippet longer than this is refused: real ones are a few lines. */
export const MAX_SNIPPET_LENGTH = 16 * 1024;
export const MAX_SNIPPET_DIRECTIVES = 200;

export const SNIPPET_DIRECTIVES: readonly string[] = ['more_set_headers', 'more_clear_headers', 'add_header', 'proxy_set_header', 'proxy_hide_header', 'return'];

/** Statuses nginx's `return` takes a URL for. */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

export interface SnippetSettings {
  request: HeaderSetting[];
  response: ResponseHeaderSetting[];
  hide: string[];
  fixed?: FixedAnswer;
  /** Directives that parse but do nothing where they are, with why (warnings). */
  ignored: { line: number; directive: string; why: string }[];
}

export type ParsedSnippet = { ok: true; settings: SnippetSettings } | { ok: false; line: number; directive: string; reason: string };

export type SnippetKind = 'configuration' | 'server';

interface Directive {
  name: string;
  args: { text: string; quoted: boolean }[];
  line: number;
}

class SnippetError extends Error {
  readonly line: number;
  readonly directive: string;
  readonly reason: string;
  constructor(line: number, directive: string, reason: string) {
    super(reason);
    this.line = line;
    this.directive = directive;
    this.reason = reason;
  }
}

function checkCharacters(text: string): { line: number; reason: string } | undefined {
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      line++;
      continue;
    }
    if (c === 0x0d && text.charCodeAt(i + 1) === 0x0a) continue;
    if (c === 0) return { line, reason: 'the snippet contains a NUL byte' };
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return { line, reason: 'the snippet contains a control character' };
  }
  return undefined;
}

function directivesOf(tokens: NginxToken[]): Directive[] {
  const out: Directive[] = [];
  let current: Directive | undefined;
  for (const token of tokens) {
    if (token.kind === 'brace') {
      throw new SnippetError(token.line, current?.name ?? token.text, 'blocks ("{ ... }": if, location, limit_except...) are not in the supported subset');
    }
    if (token.kind === 'semicolon') {
      if (current === undefined) throw new SnippetError(token.line, ';', 'an empty directive');
      out.push(current);
      current = undefined;
      if (out.length > MAX_SNIPPET_DIRECTIVES) throw new SnippetError(token.line, ';', `more than ${MAX_SNIPPET_DIRECTIVES} directives`);
      continue;
    }
    if (current === undefined) {
      if (token.quoted) throw new SnippetError(token.line, token.text.slice(0, 64), 'a directive name cannot be quoted');
      current = { name: token.text, args: [], line: token.line };
    } else {
      current.args.push({ text: token.text, quoted: token.quoted });
    }
  }
  if (current !== undefined) throw new SnippetError(current.line, current.name, 'the directive does not end with ";"');
  return out;
}

function template(d: Directive, text: string): TemplatePart[] {
  const parsed = parseValueTemplate(text);
  if (!parsed.ok) throw new SnippetError(d.line, d.name, parsed.reason);
  return parsed.parts;
}

function headerName(d: Directive, text: string, allowPrefix = false): string {
  const parsed = parseHeaderName(text, allowPrefix);
  if (!parsed.ok) throw new SnippetError(d.line, d.name, parsed.reason);
  return parsed.name;
}

function arity(d: Directive, min: number, max: number): void {
  if (d.args.length < min || d.args.length > max) {
    throw new SnippetError(d.line, d.name, min === max ? `takes ${min} argument${min === 1 ? '' : 's'}` : `takes ${min} to ${max} arguments`);
  }
}

function noOptions(d: Directive): void {
  for (const a of d.args) {
    if (!a.quoted && a.text.startsWith('-')) throw new SnippetError(d.line, d.name, `the option ${a.text.slice(0, 16)} is not in the supported subset (only the plain form)`);
  }
}

function statusOf(d: Directive, text: string): number | undefined {
  if (!/^[0-9]{1,3}$/.test(text)) return undefined;
  const status = Number(text);
  if (status !== 444 && (status < 200 || status > 599)) throw new SnippetError(d.line, d.name, `${text} is not a status Gatehouse answers (200 to 599, or 444)`);
  return status;
}

function returnOf(d: Directive): FixedAnswer {
  arity(d, 1, 2);
  const first = d.args[0]!.text;
  const status = statusOf(d, first);
  if (status === undefined) {
    if (d.args.length !== 1) throw new SnippetError(d.line, d.name, `${JSON.stringify(first.slice(0, 16))} is not a status code`);
    // `return URL;` is a 302, and nginx requires the URL to be absolute (or start with $scheme).
    if (!/^(https?:\/\/|\$scheme:\/\/|\$\{scheme\}:\/\/)/.test(first)) throw new SnippetError(d.line, d.name, 'a return without a status needs an http:// or https:// URL');
    return { status: 302, location: template(d, first) };
  }
  if (status === 444) {
    if (d.args.length !== 1) throw new SnippetError(d.line, d.name, 'return 444 takes no text');
    return { status };
  }
  const second = d.args[1]?.text;
  if (REDIRECT_STATUSES.has(status)) {
    if (second === undefined || second.length === 0) throw new SnippetError(d.line, d.name, `return ${status} needs a URL`);
    if (!/^(https?:\/\/|\/|\$scheme:\/\/|\$\{scheme\}:\/\/)/.test(second)) throw new SnippetError(d.line, d.name, 'the URL must be absolute (http://, https://) or start with "/"');
    return { status, location: template(d, second) };
  }
  return second === undefined ? { status } : { status, body: template(d, second) };
}

function headerLine(d: Directive, text: string): ResponseHeaderSetting {
  // headers-more's `Name:` with nothing after the colon clears the header.
  const parsed = parseHeaderLine(text.includes(':') ? text : `${text}:`);
  if (!parsed.ok) throw new SnippetError(d.line, d.name, parsed.reason);
  return { ...parsed.setting, mode: 'set', always: true };
}

export function parseSnippet(text: string, kind: SnippetKind): ParsedSnippet {
  if (text.length > MAX_SNIPPET_LENGTH) return { ok: false, line: 1, directive: '', reason: `the snippet is longer than ${MAX_SNIPPET_LENGTH} characters` };
  const bad = checkCharacters(text);
  if (bad !== undefined) return { ok: false, line: bad.line, directive: '', reason: bad.reason };
  const lexed = lexNginx(text);
  if (!lexed.ok) return { ok: false, line: lexed.line, directive: '', reason: lexed.reason };
  const settings: SnippetSettings = { request: [], response: [], hide: [], ignored: [] };
  try {
    for (const d of directivesOf(lexed.tokens)) readDirective(d, kind, settings);
  } catch (err) {
    if (err instanceof SnippetError) return { ok: false, line: err.line, directive: err.directive.slice(0, 64), reason: err.reason };
    throw err;
  }
  return { ok: true, settings };
}

function readDirective(d: Directive, kind: SnippetKind, s: SnippetSettings): void {
  switch (d.name) {
    case 'more_set_headers':
      noOptions(d);
      arity(d, 1, 32);
      for (const a of d.args) s.response.push(headerLine(d, a.text));
      return;
    case 'more_clear_headers':
      noOptions(d);
      arity(d, 1, 32);
      for (const a of d.args) s.hide.push(headerName(d, a.text, true));
      return;
    case 'add_header': {
      arity(d, 2, 3);
      if (d.args.length === 3 && d.args[2]!.text !== 'always') throw new SnippetError(d.line, d.name, `the third argument can only be "always"`);
      s.response.push({ name: headerName(d, d.args[0]!.text), value: template(d, d.args[1]!.text), mode: 'add', always: d.args.length === 3 });
      return;
    }
    case 'proxy_set_header': {
      arity(d, 2, 2);
      const setting = { name: headerName(d, d.args[0]!.text), value: template(d, d.args[1]!.text) };
      // ingress-nginx's locations set their own proxy_set_header lines, so nginx never inherits the
      // server's: in a server-snippet the directive does nothing there either.
      if (kind === 'server') s.ignored.push({ line: d.line, directive: d.name, why: "ingress-nginx's locations set their own proxy headers, so nginx never applies a server-level proxy_set_header either" });
      else s.request.push(setting);
      return;
    }
    case 'proxy_hide_header':
      arity(d, 1, 1);
      s.hide.push(headerName(d, d.args[0]!.text));
      return;
    case 'return': {
      const answer = returnOf(d);
      // nginx stops at the first return of the rewrite phase.
      if (s.fixed === undefined) s.fixed = answer;
      else s.ignored.push({ line: d.line, directive: d.name, why: 'an earlier return answers first' });
      return;
    }
    default:
      throw new SnippetError(d.line, d.name, `the directive is not in the supported subset (${SNIPPET_DIRECTIVES.join(', ')})`);
  }
}
