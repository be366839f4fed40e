// X-Request-ID: a client's value is kept only when it is short and made of a strict charset
// (so it can be logged and forwarded verbatim); otherwise a fresh UUID replaces it.
import { randomUUID } from 'node:crypto';

export const MAX_REQUEST_ID_LENGTH = 128;

const ALLOWED = new Uint8Array(128);
for (const c of '-_.:+/=') ALLOWED[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) ALLOWED[c] = 1;
for (let c = 65; c <= 90; c++) ALLOWED[c] = 1;
for (let c = 97; c <= 122; c++) ALLOWED[c] = 1;

export function isValidRequestId(value: string): boolean {
  if (value.length === 0 || value.length > MAX_REQUEST_ID_LENGTH) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || ALLOWED[c] === 0) return false;
  }
  return true;
}

export function requestIdFor(clientValue: string | string[] | undefined): string {
  return typeof clientValue === 'string' && isValidRequestId(clientValue) ? clientValue : randomUUID();
}
