// Tenant-written text quoted into a diagnostic message: JSON-escaped (so CR, LF and control bytes
// show as escapes, never as raw bytes in a log line) and cut short.

const MAX_QUOTED = 80;

export function quoteValue(text: string): string {
  const cut = text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text;
  return JSON.stringify(cut);
}
