// "Older wins" is how every conflict between Ingresses is settled: by creationTimestamp, then by
// 'namespace/name'. An Ingress without a (parseable) creationTimestamp — typical in manifest
// mode — counts as younger than any that has one, so the order stays total and stable.

import { compareStrings } from './compare-strings.ts';
import type { Ingress } from './model.ts';
import { objectKey } from './model.ts';

export function compareIngressAge(a: Ingress, b: Ingress): number {
  const ta = creationMillis(a);
  const tb = creationMillis(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return compareStrings(objectKey(a.metadata), objectKey(b.metadata));
}

function creationMillis(ingress: Ingress): number {
  const stamp = ingress.metadata.creationTimestamp;
  const millis = stamp === undefined ? Number.NaN : Date.parse(stamp);
  return Number.isNaN(millis) ? Number.POSITIVE_INFINITY : millis;
}
