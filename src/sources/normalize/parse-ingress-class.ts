// IngressClass (cluster-scoped): only spec.controller matters to Gatehouse.

import type { IngressClass } from '../../core/model.ts';
import { optRecord, optString } from './field-readers.ts';
import { parseObjectMeta } from './parse-object-meta.ts';

export function parseIngressClass(raw: Record<string, unknown>): IngressClass {
  const metadata = parseObjectMeta(raw['metadata'], false);
  const specRaw = optRecord(raw['spec'], 'spec') ?? {};
  const spec: IngressClass['spec'] = {};
  const controller = optString(specRaw['controller'], 'spec.controller');
  if (controller !== undefined) spec.controller = controller;
  return { kind: 'IngressClass', metadata, spec };
}
