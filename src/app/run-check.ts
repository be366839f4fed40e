// `gatehouse check`: read the objects once, run the same builder as serve, classify with the pure
// annotation report, print it, and turn it into the exit code (0 honoured, 1 ignored, 3 refused;
// 2 when the input cannot be read). Nothing is served, watched or written.

import { annotationReport, checkExitCode } from '../core/annotation-report.ts';
import { buildRouteTable } from '../core/build-route-table.ts';
import type { Diagnostic } from '../core/diagnostics.ts';
import { objectKey, type IngressClass, type KubeObject } from '../core/model.ts';
import type { BuildOptions, Snapshot } from '../core/snapshot.ts';
import type { Config } from '../config/config.ts';
import { EXIT_USAGE } from '../config/config-error.ts';
import { inspectCertificate } from '../dataplane/tls/inspect-certificate.ts';
import { inspectClientCa } from '../dataplane/tls/inspect-client-ca.ts'; // mtls
import { KubeConfigError } from '../kube/load-kube-config.ts';
import { CheckInputError, loadClusterObjects, loadManifestObjects, type CheckObjects } from './load-check-objects.ts';
import { renderCheckReport } from './render-check-report.ts';

export interface CheckIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export async function runCheck(config: Config, io: CheckIo, cwd: string = process.cwd()): Promise<number> {
  const options = config.check ?? { output: 'table', ingressClasses: [] };
  let input: CheckObjects;
  try {
    input =
      config.mode === 'manifests'
        ? await loadManifestObjects(config.manifests, cwd)
        : await loadClusterObjects({ ...(config.kube.kubeconfig === undefined ? {} : { kubeconfig: config.kube.kubeconfig }), ...(config.kube.context === undefined ? {} : { context: config.kube.context }) });
  } catch (err) {
    if (err instanceof CheckInputError || err instanceof KubeConfigError) {
      io.stderr(`gatehouse: ${err.message.replace(/[\r\n]+/g, ' ')}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  for (const warning of input.warnings) io.stderr(`gatehouse: warning: ${warning}\n`);
  // An object the normaliser refused is input Gatehouse cannot read: say which, and exit 2.
  const unreadable = input.diagnostics.filter((d) => d.severity === 'error');
  if (unreadable.length > 0) {
    for (const d of unreadable) io.stderr(`gatehouse: ${sourceLine(d)}\n`);
    return EXIT_USAGE;
  }
  // What the normaliser skipped (an unsupported apiVersion, an unknown field) is ignored input:
  // the report lists it and its verdict is at least "ignored".
  const skipped = input.diagnostics.filter((d) => d.severity === 'warning');
  const snapshot = snapshotOf(input.objects, config.controllerName, options.ingressClasses);
  const buildOptions: BuildOptions = {
    controllerName: config.controllerName,
    watchIngressWithoutClass: config.watchIngressWithoutClass,
    allowCrossNamespaceSecrets: config.allowCrossNamespaceSecrets,
    snippets: config.snippets,
    ...(config.defaultBackend === undefined ? {} : { defaultBackend: { ...config.defaultBackend } }),
    ...(config.enableSslPassthrough === true ? { enableSslPassthrough: true } : {}), // tlsedge
    inspectCertificate,
    inspectClientCa, // mtls
    now: new Date().toISOString(),
  };
  const result = buildRouteTable(snapshot, buildOptions);
  const report = annotationReport(snapshot, result, { controllerName: config.controllerName, watchIngressWithoutClass: config.watchIngressWithoutClass, input: skipped });
  io.stdout(options.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderCheckReport(report, input.origin));
  return checkExitCode(report);
}

/** A source diagnostic as one line (its message starts with the file:line or API origin). */
function sourceLine(d: Diagnostic): string {
  return d.message.replace(/[\r\n]+/g, ' ');
}

/**
 * The snapshot the builder sees. With --ingress-class NAME, the IngressClass NAME is taken as
 * Gatehouse's (its controller replaced, or the class added), so the Ingresses a team is about to
 * switch over are checked as Gatehouse will see them once the class points at it.
 */
function snapshotOf(objects: readonly KubeObject[], controllerName: string, adopt: readonly string[]): Snapshot {
  const buckets = { Ingress: new Map(), IngressClass: new Map(), Service: new Map(), EndpointSlice: new Map(), Secret: new Map() } as Record<KubeObject['kind'], Map<string, KubeObject>>;
  for (const object of objects) buckets[object.kind].set(objectKey(object.metadata), object);
  for (const name of adopt) {
    const existing = buckets.IngressClass.get(name) as IngressClass | undefined;
    const metadata = existing?.metadata ?? { namespace: '', name, labels: {}, annotations: {} };
    buckets.IngressClass.set(name, { kind: 'IngressClass', metadata, spec: { controller: controllerName } } satisfies IngressClass);
  }
  // Each bucket holds only objects of its kind, so the casts are exact.
  return {
    ingresses: buckets.Ingress as Snapshot['ingresses'],
    ingressClasses: buckets.IngressClass as Snapshot['ingressClasses'],
    services: buckets.Service as Snapshot['services'],
    endpointSlices: buckets.EndpointSlice as Snapshot['endpointSlices'],
    secrets: buckets.Secret as Snapshot['secrets'],
  };
}
