// The objects `gatehouse check` looks at, read once: from manifest files and folders through the
// same reader and normaliser as `serve --manifests`, or from the Kubernetes API with one paged LIST
// per kind through the same client and normaliser as the kube source, then one LIST by name for
// each other Secret an Ingress names (auth-secret...), as the kube source reads them. No watch, no write.

import { readFile } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import type { Diagnostic } from '../core/diagnostics.ts';
import type { KubeObject } from '../core/model.ts';
import { createKubeClient, KubeApiError } from '../kube/kube-client.ts';
import { collectionPath, KUBE_RESOURCES, type KubeResource } from '../kube/kube-resources.ts';
import { SECRET_RESOURCE } from '../sources/kube/referenced-secrets.ts';
import { loadKubeConfig } from '../kube/load-kube-config.ts';
import { listManifestFiles } from '../sources/manifests/list-manifest-files.ts';
import { parseManifestText } from '../sources/manifests/parse-manifest-file.ts';
import { secretsNamedBy } from '../sources/kube/secrets-named-by.ts';
import { normalizeObject } from '../sources/normalize-object.ts';

export interface CheckObjects {
  objects: KubeObject[];
  /** What the normaliser said about the input (invalid objects are skipped, as serve skips them). */
  diagnostics: Diagnostic[];
  /** Where the objects came from, for the report's header. */
  origin: string;
  /** Things the reader could not see but worked around (said on stderr; the report goes on). */
  warnings: string[];
}

/** Input that cannot be read at all: a file that does not parse, an API server that does not answer. */
export class CheckInputError extends Error {
  readonly code = 'ERR_CHECK_INPUT';
}

const PAGE_SIZE = 500;
const LIST_TIMEOUT_MS = 60_000;

export async function loadManifestObjects(paths: readonly string[], displayBase: string): Promise<CheckObjects> {
  const display = (path: string): string => {
    const rel = relative(displayBase, path);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
  };
  const listing = await listManifestFiles(paths);
  const problem = listing.problems[0];
  if (problem !== undefined) throw new CheckInputError(`${display(problem.path)}: cannot read (${problem.code})`);
  const objects: KubeObject[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const file of listing.files) {
    let text: string;
    try {
      text = await readFile(file.path, 'utf8');
    } catch (err) {
      throw new CheckInputError(`${display(file.path)}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const parsed = parseManifestText(text, display(file.path), file.format);
    if (!parsed.ok) {
      const at = parsed.line === undefined ? '' : `:${parsed.line}${parsed.column === undefined ? '' : `:${parsed.column}`}`;
      throw new CheckInputError(`${display(file.path)}${at}: ${parsed.reason}`);
    }
    objects.push(...parsed.objects);
    diagnostics.push(...parsed.diagnostics);
  }
  return { objects, diagnostics, origin: paths.map(display).join(', '), warnings: [] };
}

export async function loadClusterObjects(options: { kubeconfig?: string; context?: string }): Promise<CheckObjects> {
  const loaded = loadKubeConfig(options);
  const client = createKubeClient(loaded.kubeConfig);
  const objects: KubeObject[] = [];
  const diagnostics: Diagnostic[] = [];
  const warnings: string[] = [];
  const add = (resource: KubeResource, raw: unknown): void => {
    if (typeof raw !== 'object' || raw === null) return;
    // List items come without kind/apiVersion; the normaliser dispatches on them.
    const typed: Record<string, unknown> = { ...(raw as Record<string, unknown>), kind: resource.kind, apiVersion: resource.apiVersion };
    const meta = (typed['metadata'] ?? {}) as { namespace?: unknown; name?: unknown };
    const origin = `kubernetes:${resource.kind}/${typeof meta.namespace === 'string' ? `${meta.namespace}/` : ''}${typeof meta.name === 'string' ? meta.name : ''}`;
    const result = normalizeObject(typed, origin);
    if (result.object !== undefined) objects.push(result.object);
    diagnostics.push(...result.diagnostics);
  };
  let mayListSecrets = true;
  for (const resource of KUBE_RESOURCES) {
    const path = collectionPath(resource);
    let continueToken: string | undefined;
    do {
      let page: { items?: unknown[]; metadata?: { continue?: string } };
      try {
        page = await client.request({
          method: 'GET',
          path,
          query: { limit: PAGE_SIZE, continue: continueToken, fieldSelector: resource.fieldSelector },
          timeoutMs: LIST_TIMEOUT_MS,
        });
      } catch (err) {
        // Many users may not read Secrets: the rest of the report stands without certificates.
        if (resource.kind === 'Secret' && err instanceof KubeApiError && err.status === 403) {
          warnings.push(`cannot list Secrets (forbidden): TLS hosts are checked without their certificates and their Secrets are reported as missing`);
          mayListSecrets = false;
          break;
        }
        throw new CheckInputError(`cannot list ${resource.plural} from ${client.server}: ${(err as Error).message}`);
      }
      for (const raw of page.items ?? []) add(resource, raw);
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken !== undefined);
  }
  // The other Secrets Ingresses name: one LIST by name each (list rights suffice), never all of them.
  const have = new Set(objects.filter((o) => o.kind === 'Secret').map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
  const named = new Set<string>();
  for (const o of objects) {
    if (o.kind !== 'Ingress') continue;
    for (const key of secretsNamedBy(o, { allowCrossNamespace: true, readable: () => true })) if (!have.has(key)) named.add(key);
  }
  for (const key of mayListSecrets ? [...named].sort() : []) {
    const [namespace, name] = key.split('/') as [string, string];
    try {
      const page = await client.request<{ items?: unknown[] }>({
        method: 'GET',
        path: collectionPath(SECRET_RESOURCE, namespace),
        query: { fieldSelector: `metadata.name=${name}` },
        timeoutMs: LIST_TIMEOUT_MS,
      });
      for (const raw of page.items ?? []) add(SECRET_RESOURCE, raw);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 403) {
        warnings.push(`cannot list Secrets in namespace ${namespace} (forbidden): Ingresses that name one there are reported with it missing`);
        continue;
      }
      throw new CheckInputError(`cannot read Secret ${key} from ${client.server}: ${(err as Error).message}`);
    }
  }
  return { objects, diagnostics, origin: `${client.server} (context ${loaded.kubeConfig.getCurrentContext()})`, warnings };
}
