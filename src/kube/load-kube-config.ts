// Finds the cluster to talk to, in controller-runtime's order: an explicit --kubeconfig, then
// $KUBECONFIG, then the in-cluster ServiceAccount when running in a pod, then ~/.kube/config.
// Never falls back to an unauthenticated localhost:8080 as client-node's loadFromDefault does.

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export interface KubeConfigOptions {
  /** --kubeconfig PATH */
  kubeconfig?: string;
  /** --context NAME */
  context?: string;
  /** Defaults to process.env; injectable for tests. */
  env?: NodeJS.ProcessEnv;
}

export interface LoadedKubeConfig {
  kubeConfig: KubeConfig;
  /** Where the configuration came from, for logs: 'in-cluster' or a file path. */
  origin: string;
  /** The namespace of the current context (in-cluster: the pod's namespace), if any. */
  namespace?: string;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export class KubeConfigError extends Error {
  readonly code = 'ERR_KUBECONFIG';
}

export function loadKubeConfig(options: KubeConfigOptions = {}): LoadedKubeConfig {
  const env = options.env ?? process.env;
  const kc = new KubeConfig();
  let origin: string;
  try {
    if (options.kubeconfig !== undefined) {
      if (!existsSync(options.kubeconfig)) throw new KubeConfigError(`--kubeconfig: no such file: ${options.kubeconfig}`);
      kc.loadFromFile(options.kubeconfig);
      origin = options.kubeconfig;
    } else if (env.KUBECONFIG !== undefined && env.KUBECONFIG !== '') {
      const files = env.KUBECONFIG.split(delimiter).filter((f) => f !== '' && existsSync(f));
      if (files.length === 0) throw new KubeConfigError(`$KUBECONFIG names no existing file: ${env.KUBECONFIG}`);
      kc.loadFromFile(files[0]!);
      for (const file of files.slice(1)) {
        const more = new KubeConfig();
        more.loadFromFile(file);
        // Like kubectl, the first file that defines a name wins (client-node's mergeConfig throws on duplicates).
        for (const c of more.clusters) if (kc.getCluster(c.name) === null) kc.addCluster(c);
        for (const u of more.users) if (kc.getUser(u.name) === null) kc.addUser(u);
        for (const x of more.contexts) if (kc.getContextObject(x.name) === null) kc.addContext(x);
        if (!kc.currentContext && more.currentContext) kc.setCurrentContext(more.currentContext);
      }
      origin = files.join(delimiter);
    } else if (env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(SERVICE_ACCOUNT_TOKEN)) {
      kc.loadFromCluster();
      origin = 'in-cluster';
    } else {
      const file = join(env.HOME ?? homedir(), '.kube', 'config');
      if (!existsSync(file)) {
        throw new KubeConfigError(
          'no Kubernetes configuration found: not in a pod, no --kubeconfig, no $KUBECONFIG and no ~/.kube/config ' +
            '(use --manifests PATH to run without a cluster)',
        );
      }
      kc.loadFromFile(file);
      origin = file;
    }
  } catch (err) {
    if (err instanceof KubeConfigError) throw err;
    throw new KubeConfigError(`cannot load the Kubernetes configuration: ${(err as Error).message}`);
  }
  if (options.context !== undefined) {
    if (kc.getContextObject(options.context) === null) {
      throw new KubeConfigError(`--context: no context named "${options.context}" in ${origin}`);
    }
    kc.setCurrentContext(options.context);
  }
  if (kc.getCurrentCluster() === null) {
    throw new KubeConfigError(`the current context of ${origin} names no cluster`);
  }
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace?.trim();
  return { kubeConfig: kc, origin, ...(namespace ? { namespace } : {}) };
}
