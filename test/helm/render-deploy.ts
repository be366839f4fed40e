// deploy/ is the chart rendered with its default values (`helm template`, release and namespace
// "gatehouse", plus namespace.create=true since `kubectl apply` has no --create-namespace), split
// into the numbered files an operator applies in order. `npm run deploy:generate` writes them;
// deploy-drift.test.ts fails when deploy/ differs, so the two never drift.

import type { Helm } from './helm-tool.ts';
import { splitRendered } from './helm-tool.ts';

export const DEPLOY_RELEASE = 'gatehouse';
export const DEPLOY_NAMESPACE = 'gatehouse';
export const DEPLOY_ARGS = ['--set', 'namespace.create=true'] as const;

/** Which deploy/ file each template goes to. A template rendered by default that is not here fails the render. */
const FILE_OF_TEMPLATE: Record<string, string> = {
  'namespace.yaml': '00-namespace.yaml',
  'serviceaccount.yaml': '10-rbac.yaml',
  'clusterrole.yaml': '10-rbac.yaml',
  'role.yaml': '10-rbac.yaml',
  'ingressclass.yaml': '20-ingressclass.yaml',
  'deployment.yaml': '30-deployment.yaml',
  'service.yaml': '40-service.yaml',
  'metrics-service.yaml': '40-service.yaml',
  'poddisruptionbudget.yaml': '50-pdb.yaml',
  'networkpolicy.yaml': '60-networkpolicy.yaml',
};

const HEADER = [
  '# GENERATED from charts/gatehouse by `npm run deploy:generate` (helm template, default values + namespace.create):',
  '# do not edit; change the chart and regenerate. `helm install` takes the same chart with your values.',
].join('\n');

/** deploy/ as the chart renders it: file name → content, in file-name order. */
export async function renderDeploy(helm: Helm): Promise<Map<string, string>> {
  const stream = await helm.template(DEPLOY_RELEASE, DEPLOY_NAMESPACE, DEPLOY_ARGS);
  const files = new Map<string, string[]>();
  for (const doc of splitRendered(stream)) {
    const template = doc.source.replace(/^gatehouse\/templates\//, '');
    const file = FILE_OF_TEMPLATE[template];
    if (file === undefined) throw new Error(`template ${doc.source} is rendered by default but has no deploy/ file: add it to FILE_OF_TEMPLATE`);
    files.set(file, [...(files.get(file) ?? []), doc.text]);
  }
  const out = new Map<string, string>();
  for (const file of [...files.keys()].sort()) out.set(file, `${HEADER}\n${files.get(file)!.join('---\n')}`);
  return out;
}
