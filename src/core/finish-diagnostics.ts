// Diagnostics in their fixed order, each reported once (the same Secret or EndpointSlice may be
// reached from several Ingresses).

import { diagnosticOrder, type Diagnostic } from './diagnostics.ts';

export function finishDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const unique: Diagnostic[] = [];
  for (const diagnostic of [...diagnostics].sort(diagnosticOrder)) {
    const key = JSON.stringify([diagnostic.code, diagnostic.severity, diagnostic.object, diagnostic.field ?? '', diagnostic.message]);
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(diagnostic);
  }
  return unique;
}
