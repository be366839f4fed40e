// EndpointSlices grouped by the Service they belong to ('ns/service' from the
// kubernetes.io/service-name label, same namespace), each group sorted by slice name.

import { compareStrings } from './compare-strings.ts';
import type { EndpointSlice } from './model.ts';
import { SERVICE_NAME_LABEL } from './model.ts';

export function indexEndpointSlices(slices: Iterable<EndpointSlice>): Map<string, EndpointSlice[]> {
  const byService = new Map<string, EndpointSlice[]>();
  for (const slice of slices) {
    const service = slice.metadata.labels[SERVICE_NAME_LABEL];
    if (service === undefined || service === '') continue;
    const key = `${slice.metadata.namespace}/${service}`;
    const group = byService.get(key);
    if (group) group.push(slice);
    else byService.set(key, [slice]);
  }
  for (const group of byService.values()) group.sort((a, b) => compareStrings(a.metadata.name, b.metadata.name));
  return byService;
}
