// STUB (owned by the hardening work): the strict grammar an Ingress path must match.
/** Returns a human-readable reason when the path is not acceptable, else undefined. */
export function checkIngressPath(path: string, _match: 'Exact' | 'Prefix'): string | undefined {
  if (!path.startsWith('/')) return 'path must be absolute (start with "/")';
  return undefined;
}
