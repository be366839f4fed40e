// STUB (owned by the hardening work): checks on a parsed request head that Node's strict
// parser leaves to the application (duplicate Host, list-valued Content-Length, TE on HTTP/1.0,
// fragments, absolute-form targets...). Returns the rejection, or undefined to proceed.
import type { IncomingMessage } from 'node:http';

export interface RequestRejection {
  status: 400 | 413 | 414 | 417 | 431 | 505;
  reason: string; // for the access log; never echoed raw to the client
}

export function checkRequestHead(_req: IncomingMessage): RequestRejection | undefined {
  return undefined;
}
