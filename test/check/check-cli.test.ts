// `gatehouse check` through the built CLI, as a team runs it before switching: the realistic folder
// (cert-manager, oauth2-proxy, Argo CD, Grafana, Harbor, a plain app, another controller's Ingress)
// against its exact output (table and JSON) in golden files, and the exit codes on small folders.
// Regenerate the golden files with `npm run -s golden:update-check` and review the diff like code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnGatehouse } from '../support/spawn-gatehouse.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UPDATE = process.env['GATEHOUSE_UPDATE_GOLDEN'] === '1';

async function check(...args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  // Run from the repository root so the paths in the report are the same everywhere.
  const p = spawnGatehouse(['check', ...args], { cwd: ROOT });
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gatehouse check ${args.join(' ')} did not exit`)), 60_000);
  });
  try {
    const code = await Promise.race([p.exited, hang]);
    return { code, stdout: p.stdout(), stderr: p.stderr() };
  } finally {
    clearTimeout(timer);
    p.child.kill();
  }
}

function golden(name: string, actual: string): void {
  const path = fileURLToPath(new URL(`./golden/${name}`, import.meta.url));
  if (UPDATE) writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'), `${name} differs (regenerate with npm run -s golden:update-check and review the diff)`);
}

const REALISTIC = ['-f', 'test/check/fixtures/realistic', '--ingress-class', 'nginx'];

test('check: the realistic folder, as a table, matches its golden file and exits 3 (something is refused)', async () => {
  const r = await check(...REALISTIC);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 3);
  golden('realistic.txt', r.stdout);
  for (const line of r.stdout.split('\n')) assert.ok(line.length <= 100, `at most 100 columns: ${JSON.stringify(line)}`);
});

test('check -o json: the realistic folder matches its golden file, with the documented shape', async () => {
  const r = await check(...REALISTIC, '-o', 'json');
  assert.equal(r.stderr, '');
  assert.equal(r.code, 3);
  golden('realistic.json', r.stdout);
  const report = JSON.parse(r.stdout) as { version: number; verdict: string; summary: Record<string, number>; ingresses: { ingress: string; verdict: string; annotations: { key: string; outcome: string; code?: string }[] }[] };
  assert.equal(report.version, 1);
  assert.equal(report.verdict, 'refused');
  assert.deepEqual(report.summary, { ingresses: 12, honoured: 7, ignored: 2, refused: 2, skipped: 1 });
  const verdicts = Object.fromEntries(report.ingresses.map((i) => [i.ingress, i.verdict]));
  assert.deepEqual(verdicts, {
    'argocd/argocd-server-ingress': 'refused',
    'default/whoami': 'skipped',
    'docs/docs': 'honoured',
    'docs/docs-admin': 'refused',
    'harbor/harbor-ingress': 'ignored',
    'monitoring/grafana': 'honoured', // use-regex and rewrite-target are honoured (issue 12)
    'monitoring/kube-dashboard': 'honoured', // behind oauth2-proxy: external authentication is enforced
    'rollouts/rollouts-demo-stable': 'honoured',
    // Argo Rollouts copies the stable Ingress's annotations to its canary: ignored there, as in ingress-nginx.
    'rollouts/rollouts-demo-stable-rollouts-demo-canary': 'ignored',
    'shop/shop': 'honoured',
    'test/podinfo': 'honoured',
    'test/podinfo-canary': 'honoured',
  });
  const argo = report.ingresses.find((i) => i.ingress === 'argocd/argocd-server-ingress')!;
  assert.deepEqual(
    argo.annotations.map((a) => [a.key, a.outcome]),
    [
      ['nginx.ingress.kubernetes.io/backend-protocol', 'honoured'],
      ['nginx.ingress.kubernetes.io/force-ssl-redirect', 'honoured'],
      ['nginx.ingress.kubernetes.io/ssl-passthrough', 'refuses'],
    ],
  );
});

test('check: without --ingress-class, Ingresses of class nginx are listed as skipped (why) and the exit is 0', async () => {
  const r = await check('-f', 'test/check/fixtures/realistic', '-o', 'json');
  assert.equal(r.code, 0);
  const report = JSON.parse(r.stdout) as { summary: Record<string, number>; ingresses: { skipped?: string }[] };
  assert.equal(report.summary['skipped'], 12);
  assert.match(report.ingresses[0]!.skipped!, /class "nginx" is not an IngressClass of gatehouse.dev\/ingress-controller/);
});

test('check: exit codes 0 honoured, 1 ignored, 3 refused, 2 unreadable input or a bad command line', async () => {
  const cases: [string[], number, RegExp][] = [
    [['-f', 'test/check/fixtures/honoured'], 0, /Result: everything is honoured \(exit 0\)/],
    [['-f', 'test/check/fixtures/ignored'], 1, /IGNORED   nginx.ingress.kubernetes.io\/proxy-buffer-size: "16k"/],
    [['-f', 'test/check/fixtures/refused'], 3, /REFUSES   nginx.ingress.kubernetes.io\/auth-type: "basic"/],
    [['--file', 'test/check/fixtures/ignored', '--file', 'test/check/fixtures/refused/web.yaml'], 3, /Result: REFUSED/],
    // A field the reader skips (pathtype for pathType) is ignored input: listed, exit 1.
    [['-f', 'test/check/fixtures/unknown-field'], 1, /Input skipped by the reader\n {4}warning UnknownField: test\/check\/fixtures\/unknown-field\/web.yaml:\d+: unknown field\s+spec.rules\[0\].http.paths\[0\].pathtype ignored[^]*Result: IGNORED/],
  ];
  const results = await Promise.all(cases.map(([args]) => check(...args)));
  cases.forEach(([args, code, pattern], i) => {
    assert.equal(results[i]!.code, code, args.join(' '));
    assert.match(results[i]!.stdout, pattern, args.join(' '));
    assert.equal(results[i]!.stderr, '', args.join(' '));
  });
  const bad: [string[], RegExp][] = [
    [['-f', 'test/check/fixtures/unreadable'], /^gatehouse: test\/check\/fixtures\/unreadable\/web.yaml:\d+:\d+: /],
    [['-f', 'test/check/fixtures/invalid-object'], /^gatehouse: test\/check\/fixtures\/invalid-object\/web.yaml:1: spec.rules: expected a list, got a string; object skipped$/m],
    [['-f', 'test/check/fixtures/no-such-folder'], /^gatehouse: --file: cannot read "test\/check\/fixtures\/no-such-folder" \(no such file or folder\)/],
    [['-f', 'test/check/fixtures/honoured', '-o', 'yaml'], /^gatehouse: --output: expected table or json/],
    [['-f', 'test/check/fixtures/honoured', '--kubeconfig', 'x'], /^gatehouse: --kubeconfig: only applies when reading the Kubernetes API \(without --file\)/],
    [['--kubeconfig', 'test/check/fixtures/no-such-kubeconfig'], /^gatehouse: --kubeconfig: no such file/],
    [['--manifests', 'test/check/fixtures/honoured'], /^gatehouse: --manifests: not a flag of "gatehouse check"/],
  ];
  const badResults = await Promise.all(bad.map(([args]) => check(...args)));
  bad.forEach(([args, pattern], i) => {
    const r = badResults[i]!;
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, pattern, args.join(' '));
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, `one line: ${JSON.stringify(r.stderr)}`);
    assert.equal(r.stdout, '', args.join(' '));
  });
});

test('check --help describes the command and its flags', async () => {
  const r = await check('--help');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: gatehouse check /);
  for (const flag of ['-f, --file PATH', '-o, --output table|json', '--ingress-class NAME', '--kubeconfig PATH']) assert.ok(r.stdout.includes(flag), flag);
});

test('docs/check.md shows the golden output as it is', () => {
  const doc = readFileSync(new URL('../../docs/check.md', import.meta.url), 'utf8');
  const out = readFileSync(new URL('./golden/realistic.txt', import.meta.url), 'utf8');
  const example = doc.slice(doc.indexOf('## Example')).split('```')[1]!.replace(/^\n|\n$/g, '');
  const blocks = example.split('\n\n');
  assert.ok(blocks.length >= 3);
  for (const block of blocks) assert.ok(out.includes(block), `docs/check.md example not in the golden output:\n${block}`);
});
