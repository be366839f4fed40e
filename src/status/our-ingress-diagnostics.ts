// Which diagnostics may become Events: only those about Ingresses Gatehouse admits. An Ingress of
// another controller (or of no class) is someone else's object: the diagnostics that say why
// Gatehouse skipped it (IngressClassOtherController, IngressClassNotFound) stay in the log and on
// /debug/diagnostics, and never land in `kubectl describe` of an Ingress Gatehouse does not serve.

import type { Diagnostic } from '../core/diagnostics.ts';
import type { IngressStatusIntent } from '../core/route-table.ts';

export function ourIngressDiagnostics(diagnostics: readonly Diagnostic[], status: readonly IngressStatusIntent[]): Diagnostic[] {
  const admitted = new Set<string>();
  for (const intent of status) if (intent.admitted) admitted.add(intent.ingress);
  return diagnostics.filter((d) => d.object.kind === 'Ingress' && admitted.has(`${d.object.namespace}/${d.object.name}`));
}
