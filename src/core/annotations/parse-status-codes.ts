// custom-http-errors: a comma-separated list of HTTP status codes from 400 to 599, as ingress-nginx
// reads it (internal/ingress/annotations/customhttperrors: entries trimmed, empty entries skipped,
// each a 4xx or 5xx code). Spaces around an entry are allowed ("404, 503"), as its parser trims
// them. The result is sorted and without duplicates; an empty list is refused.

import type { Parsed } from './value-types.ts';

/** Every code from 400 to 599 written out with commas and spaces fits. */
export const MAX_STATUS_CODES_LENGTH = 1024;

export function parseStatusCodes(text: string): Parsed<number[]> {
  const codes = new Set<number>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry.length === 0) continue;
    if (!/^[45][0-9]{2}$/.test(entry)) {
      const shown = entry.length > 12 ? `${entry.slice(0, 12)}...` : entry;
      return { ok: false, reason: `${JSON.stringify(shown)} is not a status code from 400 to 599` };
    }
    codes.add(Number(entry));
  }
  if (codes.size === 0) return { ok: false, reason: 'expected at least one status code from 400 to 599, such as 404,503' };
  return { ok: true, value: [...codes].sort((a, b) => a - b) };
}
