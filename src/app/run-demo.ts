// `gatehouse demo` (what `npm start` runs): the tutorial's examples served through the ordinary
// manifest mode, with echo pods started here and the manifests that point at them written to a
// temporary folder, then the curl commands to try. Nothing special-cased downstream.

import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/config.ts';
import { findPackageRoot } from '../config/package-root.ts';
import { generateSelfSignedCertificate } from '../dataplane/tls/self-signed-certificate.ts';
import type { Logger } from '../observability/logger.ts';
import { startDemoPod, stopDemoPod, type DemoPod } from './demo-backends.ts';
import { endpointSlicesYaml, tlsSecretYaml } from './demo-manifests.ts';
import type { MainIo } from './main.ts';
import { startGatehouse } from './start-gatehouse.ts';

const PODS: readonly [name: string, app: string, address: string][] = [
  ['kubia-0', 'kubia', '127.0.0.2'],
  ['kubia-1', 'kubia', '127.0.0.3'],
  ['foo-0', 'foo', '127.0.0.4'],
  ['bar-0', 'bar', '127.0.0.5'],
];

export async function runDemo(config: Config, logger: Logger, io: MainIo): Promise<{ shutdown(reason: string): Promise<void> }> {
  const root = findPackageRoot();
  if (root === undefined) throw Object.assign(new Error('cannot find the examples/ folder of the gatehouse package'), { code: 'ERR_DEMO_EXAMPLES' });
  const examples = join(root, 'examples');
  const pods: DemoPod[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-demo-'));
  const cleanup = async (): Promise<void> => {
    await Promise.all(pods.map(stopDemoPod));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const [name, app, address] of PODS) pods.push(await startDemoPod(name, app, address));
    for (const file of readdirSync(join(examples, 'v1')).filter((f) => f.endsWith('.yaml'))) copyFileSync(join(examples, 'v1', file), join(dir, file));
    copyFileSync(join(examples, 'services.yaml'), join(dir, 'services.yaml'));
    writeFileSync(join(dir, 'endpointslices.yaml'), endpointSlicesYaml(pods));
    const cert = generateSelfSignedCertificate({ dnsName: 'kubia.example.com', commonName: 'kubia.example.com' });
    writeFileSync(join(dir, 'tls-secret.yaml'), tlsSecretYaml(cert.certPem, cert.keyPem), { mode: 0o600 });

    const running = await startGatehouse({ ...config, manifests: [dir] }, logger);
    await running.reconciler.firstApplied();
    io.stdout(banner(config, running.ports, pods, dir));
    return {
      async shutdown(reason) {
        try {
          await running.shutdown(reason);
        } finally {
          await cleanup();
        }
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function banner(config: Config, ports: { http: number; https: number; admin: number }, pods: readonly DemoPod[], dir: string): string {
  const host = reachable(config.bind);
  const adminHost = reachable(config.adminBind);
  const http = `http://${host}:${ports.http}`;
  return [
    '',
    "Gatehouse demo: the Ingress tutorial's examples, served with echo pods.",
    `  manifests: ${dir}`,
    `  pods:      ${pods.map((p) => `${p.name} ${p.address}:${p.port}`).join(', ')}`,
    '',
    'Try:',
    `  curl -H 'Host: kubia.example.com' ${http}/`,
    `  curl -H 'Host: kubia.example.com' ${http}/kubia`,
    `  curl -H 'Host: kubia.example.com' ${http}/bar`,
    `  curl -H 'Host: foo.example.com' ${http}/`,
    `  curl -H 'Host: bar.example.com' ${http}/`,
    `  curl -H 'Host: nobody.example.com' ${http}/        # no rule: 404`,
    `  curl -k --resolve kubia.example.com:${ports.https}:${host} https://kubia.example.com:${ports.https}/kubia`,
    `  curl http://${adminHost}:${ports.admin}/debug/routes`,
    '',
    `Edit the files in ${dir} and the routes follow within a second. Ctrl-C stops.`,
    // A blank line, then the log (the start-up lines were held until now) and the access log.
    '',
    '',
  ].join('\n');
}

function reachable(bind: string): string {
  if (bind === '0.0.0.0') return '127.0.0.1';
  if (bind === '::') return '[::1]';
  return bind.includes(':') ? `[${bind}]` : bind;
}
