// The real `helm` for the chart tests and for `npm run deploy:generate`: the binary that
// test/k8s/helm/build-helm.sh builds from the Go module proxy (a missing one throws loudly, never a
// skip), run with its own empty HOME and Helm directories so nothing on the machine (repositories,
// plugins, a kubeconfig) changes what it does; the kubeconfig is always passed explicitly.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHART = join(REPO, 'charts', 'gatehouse');
const HELM_MODULE_DIR = join(REPO, 'test', 'k8s', 'helm');

export interface HelmTools {
  dir: string;
  helm: string;
  /** prometheus-operator's ServiceMonitor CRD, from the same build step (Go module proxy). */
  serviceMonitorCrd: string;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HelmRunOptions {
  /** Passed as --kubeconfig (never read from the environment). */
  kubeconfig?: string;
  /** Do not throw on a non-zero exit. */
  allowFailure?: boolean;
  timeoutMs?: number;
}

export interface Helm {
  tools: HelmTools;
  run(args: readonly string[], options?: HelmRunOptions): Promise<HelmResult>;
  /** `helm template RELEASE charts/gatehouse --namespace NAMESPACE ARGS…`: the rendered stream. */
  template(release: string, namespace: string, args?: readonly string[]): Promise<string>;
  dispose(): void;
}

function cacheRoot(): string {
  return process.env.GATEHOUSE_K8S_CACHE || join(process.env.HOME || homedir(), '.cache', 'gatehouse');
}

/** Where build-helm.sh puts helm and the CRD: versions read from the pinned go.mod and script. */
export function helmTools(): HelmTools {
  const goMod = readFileSync(join(HELM_MODULE_DIR, 'go.mod'), 'utf8');
  const version = /^\s*(?:require\s+)?helm\.sh\/helm\/v4\s+(v\S+)/m.exec(goMod)?.[1];
  const script = readFileSync(join(HELM_MODULE_DIR, 'build-helm.sh'), 'utf8');
  const crdVersion = /^crd_version=(v\S+)$/m.exec(script)?.[1];
  if (version === undefined || crdVersion === undefined) throw new Error(`cannot read the pinned versions from ${HELM_MODULE_DIR}`);
  const dir = join(cacheRoot(), `helm-${version}`);
  const tools: HelmTools = {
    dir,
    helm: join(dir, 'helm'),
    serviceMonitorCrd: join(cacheRoot(), `prometheus-operator-${crdVersion}`, 'monitoring.coreos.com_servicemonitors.yaml'),
  };
  const missing = [tools.helm, tools.serviceMonitorCrd].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `helm test tools missing: ${missing.join(', ')}.\n` +
        'Build them with: bash test/k8s/ensure-binaries.sh (needs Go; a few minutes on 2 cores, then cached).',
    );
  }
  return tools;
}

export function createHelm(tools: HelmTools = helmTools()): Helm {
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-helm-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    // A kubeconfig is only ever given with --kubeconfig; this one does not exist.
    KUBECONFIG: join(home, 'no-kubeconfig'),
  };
  const run = (args: readonly string[], o: HelmRunOptions = {}): Promise<HelmResult> =>
    new Promise((done, reject) => {
      const all = o.kubeconfig === undefined ? [...args] : [...args, `--kubeconfig=${o.kubeconfig}`];
      execFile(tools.helm, all, { env, cwd: REPO, timeout: o.timeoutMs ?? 120_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        if (code !== 0 && o.allowFailure !== true) reject(new Error(`helm ${all.join(' ')} failed (${code}): ${stderr || stdout}`));
        else done({ code, stdout, stderr });
      });
    });
  return {
    tools,
    run,
    async template(release, namespace, args = []) {
      return (await run(['template', release, CHART, `--namespace=${namespace}`, ...args])).stdout;
    },
    dispose: () => rmSync(home, { recursive: true, force: true }),
  };
}

/** The documents of a rendered stream, each with the template it came from (`# Source:`). */
export function splitRendered(stream: string): { source: string; text: string }[] {
  const docs: { source: string; text: string }[] = [];
  for (const part of stream.split(/^---\s*$/m)) {
    const text = part.replace(/^\n+/, '');
    if (text.trim() === '') continue;
    const source = /^# Source: (\S+)$/m.exec(text)?.[1];
    if (source === undefined) throw new Error(`a rendered document without a '# Source:' line:\n${text.slice(0, 300)}`);
    docs.push({ source, text: text.endsWith('\n') ? text : `${text}\n` });
  }
  return docs;
}
