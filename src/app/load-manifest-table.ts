// Reads manifests once and builds the route table exactly as `gatehouse serve --manifests` does:
// the same manifest source (parser, normaliser, duplicate handling), the same object store and the
// same builder with the same options. For `gatehouse explain -f`, which must never explain a table
// other than the one serve would build.

import type { Diagnostic } from '../core/diagnostics.ts';
import { buildRouteTable } from '../core/build-route-table.ts';
import type { BuildOptions } from '../core/snapshot.ts';
import type { BuildResult } from '../core/route-table.ts';
import { inspectCertificate } from '../dataplane/tls/inspect-certificate.ts';
import { inspectClientCa } from '../dataplane/tls/inspect-client-ca.ts'; // mtls
import { silentLogger } from '../observability/logger.ts';
import { createManifestSource } from '../sources/manifests/create-manifest-source.ts';
import { createObjectStore } from '../store/object-store.ts';

export interface LoadedTable extends BuildResult {
  /** Problems reading the files (ManifestReadError, ManifestParseError, ObjectInvalid...). */
  sourceDiagnostics: Diagnostic[];
}

export async function loadManifestTable(paths: readonly string[], options: Omit<BuildOptions, 'inspectCertificate' | 'now'>, now: Date = new Date()): Promise<LoadedTable> {
  const store = createObjectStore();
  const sourceDiagnostics: Diagnostic[] = [];
  // One scan: no file watch, and the safety-net timer is unref'd and stopped right away.
  const source = createManifestSource({ paths, logger: silentLogger, watch: false, pollIntervalMs: 3_600_000 });
  await source.start((change) => {
    if (change.type === 'sourceDiagnostics') sourceDiagnostics.push(...change.diagnostics);
    else if (change.type !== 'synced') store.apply(change);
  });
  await source.stop();
  const result = buildRouteTable(store.snapshot(), { ...options, inspectCertificate, inspectClientCa, now: now.toISOString() });
  return { ...result, sourceDiagnostics };
}
