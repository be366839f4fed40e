// The endpoints of one Service port, from its EndpointSlices, as kube-proxy reads them:
// the slice port with the Service port's name ('' for the unnamed port), the first address of
// each endpoint (addresses are fungible), IPv4/IPv6 slices only. Ready endpoints
// (conditions.ready not false) are used; serving-and-terminating ones are kept with ready: false
// for the data plane to use only when nothing is ready. Duplicates across slices are merged
// (the most usable state wins), and the result is sorted by address then port.

import { compareStrings } from './compare-strings.ts';
import type { Diagnostic } from './diagnostics.ts';
import { makeDiagnostic } from './diagnostic-codes.ts';
import { isIPv4Literal, isIPv6Literal } from './ip-literal.ts';
import type { EndpointSlice, SliceEndpoint } from './model.ts';
import { objectRef } from './object-ref.ts';
import { quoteValue } from './quote-value.ts';
import type { Endpoint } from './route-table.ts';

export function collectEndpoints(slices: readonly EndpointSlice[], portName: string): { endpoints: Endpoint[]; diagnostics: Diagnostic[] } {
  const byAddress = new Map<string, Endpoint>();
  const diagnostics: Diagnostic[] = [];
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') {
      diagnostics.push(unsupportedAddressType(slice));
      continue;
    }
    const port = slice.ports.find((p) => (p.name ?? '') === portName)?.port;
    if (port === undefined) continue;
    slice.endpoints.forEach((endpoint, index) => {
      const found = toEndpoint(slice, endpoint, port);
      if (found === 'invalid') diagnostics.push(invalidAddress(slice, endpoint, index));
      else if (found) keepBest(byAddress, found);
    });
  }
  return { endpoints: [...byAddress.values()].sort(compareEndpoints), diagnostics };
}

function toEndpoint(slice: EndpointSlice, endpoint: SliceEndpoint, port: number): Endpoint | 'invalid' | undefined {
  const address = endpoint.addresses[0];
  if (address === undefined) return undefined;
  const valid = slice.addressType === 'IPv4' ? isIPv4Literal(address) : isIPv6Literal(address);
  if (!valid) return 'invalid';
  const { ready, serving, terminating } = endpoint.conditions;
  const isReady = ready !== false;
  const isServingTerminating = serving === true && terminating === true;
  if (!isReady && !isServingTerminating) return undefined;
  const result: Endpoint = {
    address: slice.addressType === 'IPv6' ? address.toLowerCase() : address,
    port,
    ready: isReady,
    serving: serving ?? isReady,
    terminating: terminating ?? false,
  };
  const ref = endpoint.targetRef;
  if (ref?.name) result.targetRef = `${ref.namespace ?? slice.metadata.namespace}/${ref.name}`;
  return result;
}

function keepBest(byAddress: Map<string, Endpoint>, endpoint: Endpoint): void {
  const key = `${endpoint.address}|${endpoint.port}`;
  const existing = byAddress.get(key);
  if (existing === undefined || usability(endpoint) > usability(existing)) byAddress.set(key, endpoint);
}

function usability(endpoint: Endpoint): number {
  return (endpoint.ready ? 2 : 0) + (endpoint.terminating ? 0 : 1);
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  return compareStrings(a.address, b.address) || a.port - b.port;
}

function unsupportedAddressType(slice: EndpointSlice): Diagnostic {
  return makeDiagnostic(
    'EndpointSliceAddressTypeUnsupported',
    objectRef(slice),
    'addressType',
    `addressType ${quoteValue(slice.addressType)} is ignored: only IPv4 and IPv6 endpoints are proxied to`,
  );
}

function invalidAddress(slice: EndpointSlice, endpoint: SliceEndpoint, index: number): Diagnostic {
  return makeDiagnostic(
    'EndpointAddressInvalid',
    objectRef(slice),
    `endpoints[${index}].addresses[0]`,
    `address ${quoteValue(endpoint.addresses[0] ?? '')} is not an ${slice.addressType} address; this endpoint is skipped`,
  );
}
