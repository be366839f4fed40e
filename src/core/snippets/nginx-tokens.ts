// nginx's configuration lexer, as far as the snippet subset needs it (ngx_conf_read_token): words
// separated by blanks, single- or double-quoted strings with backslash escapes, `;` ending a
// directive, `#` starting a comment to the end of the line. Blocks (`{`, `}`) are reported as
// their own token so the parser can refuse them by name. Nothing here interprets a word.

export type NginxToken =
  | { kind: 'word'; text: string; quoted: boolean; line: number }
  | { kind: 'semicolon'; line: number }
  | { kind: 'brace'; text: '{' | '}'; line: number };

export type Lexed = { ok: true; tokens: NginxToken[] } | { ok: false; line: number; reason: string };

function isBlank(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

/** Escapes nginx resolves inside quotes; any other backslash is kept as written, as nginx does. */
const ESCAPES: Record<string, string> = { '"': '"', "'": "'", '\\': '\\', t: '\t', r: '\r', n: '\n' };

export function lexNginx(text: string): Lexed {
  const tokens: NginxToken[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (isBlank(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === ';') {
      tokens.push({ kind: 'semicolon', line });
      i++;
      continue;
    }
    if (c === '{' || c === '}') {
      tokens.push({ kind: 'brace', text: c, line });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const start = line;
      let out = '';
      i++;
      for (;;) {
        if (i >= text.length) return { ok: false, line: start, reason: `a quoted string (${c}) is not closed` };
        const d = text[i]!;
        if (d === c) break;
        if (d === '\\' && i + 1 < text.length) {
          const e = text[i + 1]!;
          out += ESCAPES[e] ?? `\\${e}`;
          if (e === '\n') line++;
          i += 2;
          continue;
        }
        if (d === '\n') line++;
        out += d;
        i++;
      }
      i++;
      // nginx requires a blank, ';' or brace after a closing quote.
      const next = text[i];
      if (next !== undefined && !isBlank(next) && next !== ';' && next !== '{' && next !== '}') {
        return { ok: false, line, reason: `unexpected ${JSON.stringify(next)} after a quoted string` };
      }
      tokens.push({ kind: 'word', text: out, quoted: true, line: start });
      continue;
    }
    let out = '';
    while (i < text.length) {
      const d = text[i]!;
      // `${name}` inside a word is a variable, not a block (nginx's lexer makes the same exception).
      if (d === '{' && out.endsWith('$')) {
        const close = text.indexOf('}', i);
        if (close < 0) return { ok: false, line, reason: 'a "${" variable is not closed' };
        out += text.slice(i, close + 1);
        i = close + 1;
        continue;
      }
      if (isBlank(d) || d === ';' || d === '{' || d === '}') break;
      if (d === '\\' && i + 1 < text.length) {
        out += text.slice(i, i + 2);
        i += 2;
        continue;
      }
      out += d;
      i++;
    }
    tokens.push({ kind: 'word', text: out, quoted: false, line });
  }
  return { ok: true, tokens };
}
