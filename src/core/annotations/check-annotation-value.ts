// The first gate every annotation value Gatehouse reads goes through, before its typed parse:
// values that cannot be legitimate for any annotation we know — control bytes (CR, LF, NUL, tab,
// DEL), very long text, or characters that only appear in configuration injection (the
// ingress-nginx snippet CVEs) — are refused outright with their own diagnostic. The typed parsers
// are strict on their own; this makes the refusal of hostile text explicit and uniform.

/** The default cap; each value type has its own (value-types.ts maxValueLength: CIDR lists are longer). */
export const MAX_ANNOTATION_VALUE_LENGTH = 256;

/** Characters with no place in any supported value, that quote, nest or end configuration text. */
const INJECTION_CHARS = new Set([';', '{', '}', '`', '\\', '<', '>', '"', "'"]);

/** undefined when the value may go on to its typed parse; otherwise why it is refused. */
export function checkAnnotationValue(value: string, maxLength = MAX_ANNOTATION_VALUE_LENGTH): string | undefined {
  if (value.length > maxLength) return `is longer than ${maxLength} characters`;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x0d || c === 0x0a) return 'contains a line break (CR or LF)';
    if (c === 0) return 'contains a NUL byte';
    if (c < 0x20 || c === 0x7f) return 'contains a control character';
    if (c > 0x7e) return 'contains a non-ASCII character';
    const ch = value[i]!;
    if (INJECTION_CHARS.has(ch)) return `contains ${JSON.stringify(ch)}, which no supported value uses`;
    // Template and command substitution ('${...}', '$(...)'); '$name' alone is nginx's variable syntax.
    if (ch === '$' && (value[i + 1] === '{' || value[i + 1] === '(')) return 'contains a substitution ("${" or "$(")';
  }
  return undefined;
}
