// A real control plane for Kubernetes-mode tests, the way controller-runtime's envtest runs one:
// etcd and kube-apiserver on 127.0.0.1 free ports, with per-run serving certificates (openssl),
// per-run ServiceAccount signing keys (node:crypto), token authentication for an admin user,
// RBAC authorization, and /readyz polled with a bounded timeout. The binaries are the ones
// test/k8s/build-binaries.sh builds; a missing binary throws loudly (never a skip).
//
// The API server can be stopped and started again on the same port with the same etcd, for the
// outage scenario. Every child process is killed and the temp dir removed on stop() and, as a last
// resort, when the test process exits.

import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface KubeBinaries {
  dir: string;
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** Fed to stdin (for `apply -f -`). */
  input?: string;
  /** Default: the admin kubeconfig. */
  kubeconfig?: string;
  /** Do not throw on a non-zero exit. */
  allowFailure?: boolean;
  timeoutMs?: number;
}

export interface KubeHarness {
  /** The temp dir holding certs, keys, kubeconfigs, logs and etcd data. */
  dir: string;
  /** https://127.0.0.1:PORT */
  server: string;
  caFile: string;
  adminKubeconfig: string;
  binaries: KubeBinaries;
  kubectl(args: readonly string[], options?: KubectlOptions): Promise<KubectlResult>;
  /** `kubectl <args> -o json`, parsed. */
  kubectlJson<T = unknown>(args: readonly string[], options?: KubectlOptions): Promise<T>;
  /** `kubectl apply -f -` with this YAML. */
  apply(yaml: string, options?: KubectlOptions): Promise<void>;
  /** A kubeconfig that authenticates as ServiceAccount namespace/name with a `kubectl create token` token. */
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  /** Stops kube-apiserver (etcd keeps running); the port stays reserved for startApiServer(). */
  stopApiServer(): Promise<void>;
  startApiServer(): Promise<void>;
  /** The last lines of the API server's log (for failure messages). */
  apiServerLogTail(lines?: number): string;
  stop(): Promise<void>;
}

export interface KubeHarnessOptions {
  binaries?: KubeBinaries;
  /** Bound on waiting for /readyz; default 120 s (two shared cores can be slow). */
  readyTimeoutMs?: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const K8S_MODULE_DIR = resolve(here, '..', 'k8s');
const ADMIN_TOKEN = randomBytes(24).toString('hex');

/** Where build-binaries.sh puts the binaries: $GATEHOUSE_K8S_BIN, else the versioned cache dir. */
export function kubeBinaries(): KubeBinaries {
  let dir = process.env.GATEHOUSE_K8S_BIN;
  if (dir === undefined || dir === '') {
    const goMod = readFileSync(join(K8S_MODULE_DIR, 'go.mod'), 'utf8');
    const k8s = /^\s*k8s\.io\/kubernetes\s+(\S+)/m.exec(goMod)?.[1];
    const etcd = /^\s*go\.etcd\.io\/etcd\/server\/v3\s+(\S+)/m.exec(goMod)?.[1];
    if (k8s === undefined || etcd === undefined) throw new Error(`cannot read the pinned versions from ${K8S_MODULE_DIR}/go.mod`);
    const root = process.env.GATEHOUSE_K8S_CACHE || join(process.env.HOME || homedir(), '.cache', 'gatehouse');
    dir = join(root, `k8s-${k8s}-etcd-${etcd}`);
  }
  const bins: KubeBinaries = { dir, etcd: join(dir, 'etcd'), kubeApiserver: join(dir, 'kube-apiserver'), kubectl: join(dir, 'kubectl') };
  const missing = [bins.etcd, bins.kubeApiserver, bins.kubectl].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `Kubernetes test binaries missing: ${missing.join(', ')}.\n` +
        `Build them with: bash test/k8s/ensure-binaries.sh (needs Go; takes ~10 minutes on 2 cores, then cached).`,
    );
  }
  return bins;
}

/** A free TCP port on 127.0.0.1 (bind to 0, read, release), as envtest does. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolvePort(addr.port) : reject(new Error('no port'))));
    });
  });
}

const live = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.on('exit', () => live.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

function stopChild(child: ChildProcess | undefined, graceMs = 10_000): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA and a serving certificate for 127.0.0.1/localhost, made per run. */
function makeServingCerts(dir: string): { caFile: string; certFile: string; keyFile: string } {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=gatehouse-envtest-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  openssl(['req', ...ec, '-keyout', 'apiserver.key', '-out', 'apiserver.csr', '-subj', '/CN=kube-apiserver'], dir);
  writeFileSync(join(dir, 'apiserver.ext'), [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc',
    '',
  ].join('\n'));
  openssl(['x509', '-req', '-in', 'apiserver.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'apiserver.crt',
    '-days', '2', '-extfile', 'apiserver.ext'], dir);
  return { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'apiserver.crt'), keyFile: join(dir, 'apiserver.key') };
}

function kubeconfigYaml(server: string, caFile: string, user: string, token: string, namespace = 'default'): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'envtest', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user, context: { cluster: 'envtest', user, namespace } }],
    'current-context': user,
  }, null, 2);
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function startKubeHarness(options: KubeHarnessOptions = {}): Promise<KubeHarness> {
  const binaries = options.binaries ?? kubeBinaries();
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-envtest-'));
  let etcd: ChildProcess | undefined;
  let apiserver: ChildProcess | undefined;
  let stopped = false;

  const cleanup = async (): Promise<void> => {
    await stopChild(apiserver);
    await stopChild(etcd);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const { caFile, certFile, keyFile } = makeServingCerts(dir);
    const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
    // token,user,uid,"groups"
    writeFileSync(join(dir, 'tokens.csv'), `${ADMIN_TOKEN},envtest-admin,envtest-admin,"system:masters"\n`);

    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const server = `https://127.0.0.1:${apiPort}`;
    const adminKubeconfig = join(dir, 'admin.kubeconfig');
    writeFileSync(adminKubeconfig, kubeconfigYaml(server, caFile, 'envtest-admin', ADMIN_TOKEN));
    mkdirSync(join(dir, 'etcd'));

    const spawnLogged = (bin: string, args: string[], log: string): ChildProcess => {
      const fd = openSync(join(dir, log), 'a');
      const child = spawn(bin, args, { stdio: ['ignore', fd, fd] });
      closeSync(fd);
      track(child);
      return child;
    };

    etcd = spawnLogged(binaries.etcd, [
      '--name=envtest',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=envtest=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ], 'etcd.log');

    const apiArgs = [
      '--advertise-address=127.0.0.1',
      '--bind-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${certFile}`,
      `--tls-private-key-file=${keyFile}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-cluster-ip-range=10.0.0.0/24',
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--allow-privileged=true',
      '--v=1',
    ];

    const waitReady = async (): Promise<void> => {
      const deadline = Date.now() + readyTimeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        if (apiserver?.exitCode !== null || etcd?.exitCode !== null) {
          throw new Error(`control plane exited early.\n--- etcd.log ---\n${tail(join(dir, 'etcd.log'), 20)}\n--- kube-apiserver.log ---\n${tail(join(dir, 'kube-apiserver.log'), 40)}`);
        }
        last = await readyz(apiPort, caFile).catch((err: Error) => err.message);
        if (last === 'ok') return;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`kube-apiserver not ready within ${readyTimeoutMs} ms (last: ${last.slice(0, 300)}).\n--- kube-apiserver.log ---\n${tail(join(dir, 'kube-apiserver.log'), 40)}`);
    };

    const startApiServer = async (): Promise<void> => {
      apiserver = spawnLogged(binaries.kubeApiserver, apiArgs, 'kube-apiserver.log');
      await waitReady();
    };
    await startApiServer();

    const kubectl = (args: readonly string[], o: KubectlOptions = {}): Promise<KubectlResult> =>
      new Promise((done, reject) => {
        const child = execFile(
          binaries.kubectl,
          [`--kubeconfig=${o.kubeconfig ?? adminKubeconfig}`, ...args],
          { timeout: o.timeoutMs ?? 60_000, maxBuffer: 32 * 1024 * 1024 },
          (err, stdout, stderr) => {
            const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
            if (code !== 0 && o.allowFailure !== true) {
              reject(new Error(`kubectl ${args.join(' ')} failed (${code}): ${stderr || stdout}`));
            } else {
              done({ code, stdout, stderr });
            }
          },
        );
        child.stdin?.end(o.input ?? '');
      });

    const harness: KubeHarness = {
      dir,
      server,
      caFile,
      adminKubeconfig,
      binaries,
      kubectl,
      async kubectlJson<T>(args: readonly string[], o?: KubectlOptions) {
        const r = await kubectl([...args, '-o', 'json'], o);
        return JSON.parse(r.stdout) as T;
      },
      async apply(yaml, o = {}) {
        await kubectl(['apply', '-f', '-'], { ...o, input: yaml });
      },
      async serviceAccountKubeconfig(namespace, name) {
        const r = await kubectl(['create', 'token', name, '-n', namespace, '--duration=2h']);
        const token = r.stdout.trim();
        if (token === '') throw new Error(`kubectl create token ${namespace}/${name} returned nothing`);
        const file = join(dir, `sa-${namespace}-${name}.kubeconfig`);
        writeFileSync(file, kubeconfigYaml(server, caFile, `system:serviceaccount:${namespace}:${name}`, token, namespace));
        return file;
      },
      async stopApiServer() {
        await stopChild(apiserver);
      },
      startApiServer,
      apiServerLogTail: (lines = 40) => tail(join(dir, 'kube-apiserver.log'), lines),
      async stop() {
        if (stopped) return;
        stopped = true;
        await cleanup();
      },
    };
    return harness;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function readyz(port: number, caFile: string): Promise<string> {
  return new Promise((done, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path: '/readyz', ca: readFileSync(caFile), headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, timeout: 5_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => done(res.statusCode === 200 ? body.trim() : `HTTP ${res.statusCode}: ${body.slice(0, 200)}`));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
