// What the Kubernetes source's Secret reading costs in a cluster full of big Secrets that no Ingress
// names (Helm keeps each release as a Secret of up to 1 MiB): a real kube-apiserver + etcd, COUNT
// Opaque Secrets of SIZE_KIB each made with `kubectl create` (as Helm does: no last-applied
// annotation), one Ingress naming one small auth Secret. Measured side by side:
//  - a full list of the non-TLS Secrets (what watching them all, as ingress-nginx does, would read
//    at every start and relist): bytes and time;
//  - the metadata-only list Gatehouse does instead: bytes and time;
//  - createKubeSource itself: time to `synced`, and the heap it holds afterwards (after a GC).
// Usage: npx node --expose-gc bench/kube-secret-reading.ts [COUNT=200] [SIZE_KIB=256]

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { createLogger } from '../src/observability/logger.ts';
import { METADATA_LIST_ACCEPT } from '../src/kube/kube-client.ts';
import { createKubeSource } from '../src/sources/kube/create-kube-source.ts';
import { startKubeHarness } from '../test/support/kube-harness.ts';

const count = Number(process.argv[2] ?? 200);
const sizeKib = Number(process.argv[3] ?? 256);
const gc = (globalThis as { gc?: () => void }).gc;

const h = await startKubeHarness();
try {
  const token = readFileSync(join(h.dir, 'tokens.csv'), 'utf8').split(',')[0]!;
  const dispatcher = new Agent({ connect: { ca: readFileSync(h.caFile) } });
  for (let i = 0; i < count; i += 20) {
    const items = [];
    for (let j = i; j < Math.min(count, i + 20); j++) {
      items.push({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'default', name: `sh.helm.release.v1.app-${j}.v1`, labels: { owner: 'helm' } }, type: 'helm.sh/release.v1', data: { release: randomBytes(sizeKib * 768).toString('base64') } });
    }
    await h.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
  }
  await h.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'default', name: 'basic-auth' }, type: 'Opaque', stringData: { auth: 'alice:{PLAIN}x' } }));
  await h.apply(JSON.stringify({
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
    metadata: { namespace: 'default', name: 'guarded', annotations: { 'nginx.ingress.kubernetes.io/auth-type': 'basic', 'nginx.ingress.kubernetes.io/auth-secret': 'basic-auth' } },
    spec: { rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  }));

  const list = async (accept: string): Promise<{ bytes: number; ms: number }> => {
    let bytes = 0;
    const started = performance.now();
    let cont = '';
    do {
      const url = `${h.server}/api/v1/secrets?fieldSelector=${encodeURIComponent('type!=kubernetes.io/tls')}&limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`;
      const text = await (await fetch(url, { headers: { authorization: `Bearer ${token}`, accept }, dispatcher })).text();
      bytes += Buffer.byteLength(text);
      cont = (JSON.parse(text) as { metadata?: { continue?: string } }).metadata?.continue ?? '';
    } while (cont !== '');
    return { bytes, ms: Math.round(performance.now() - started) };
  };
  const full = await list('application/json');
  const meta = await list(METADATA_LIST_ACCEPT);

  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const source = createKubeSource({ logger: createLogger({ level: 'error', write: () => {} }), kubeconfig: h.adminKubeconfig });
  const started = performance.now();
  let secrets = 0;
  await new Promise<void>((resolve) => {
    void source.start((change) => {
      if (change.type === 'upsert' && change.object.kind === 'Secret') secrets++;
      if (change.type === 'synced') resolve();
    });
  });
  const syncedMs = Math.round(performance.now() - started);
  gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  await source.stop();
  const mib = (n: number): string => (n / 1024 / 1024).toFixed(1);
  console.log(`${count} Secrets of ${sizeKib} KiB that no Ingress names, 1 named auth Secret:`);
  console.log(`  full list of non-TLS Secrets:   ${mib(full.bytes)} MiB in ${full.ms} ms`);
  console.log(`  metadata-only list (Gatehouse): ${mib(meta.bytes)} MiB in ${meta.ms} ms`);
  console.log(`  createKubeSource: synced in ${syncedMs} ms, ${secrets} Secret read by GET, heap held ${gc ? mib(heapAfter - heapBefore) + ' MiB' : '(run with --expose-gc)'}`);
} finally {
  await h.stop();
}
