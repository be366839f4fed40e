// docs/annotations.md's "Every ingress-nginx annotation" table is the answer to "what happens to my
// Ingress": each annotation of ingress-nginx's reference, with a value as people write it, run
// through the real builder and the `gatehouse check` report, must be documented with the outcome
// the report gives (honoured, ignored, refuses). GATEHOUSE_UPDATE_GOLDEN=1 rewrites the table
// (review the diff: the notes column says why).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { annotationReport, type AnnotationFinding } from '../../src/core/annotation-report.ts';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import type { KubeObject } from '../../src/core/model.ts';
import { CONTROLLER, ingress, options, rule, secret, service, snapshotOf } from '../core/fixtures.ts';
import { INGRESS_NGINX_ANNOTATIONS } from '../support/ingress-nginx-annotations.ts';

const N = 'nginx.ingress.kubernetes.io/';
const DOC_PATH = join(import.meta.dirname, '..', '..', 'docs', 'annotations.md');
const BEGIN = '<!-- ingress-nginx-coverage:begin -->';
const END = '<!-- ingress-nginx-coverage:end -->';

/** What an annotation needs beside it to take effect (as people write them together). */
function companions(name: string): Record<string, string> {
  if (name.startsWith('canary-')) return { [`${N}canary`]: 'true' };
  if (name.startsWith('cors-')) return { [`${N}enable-cors`]: 'true' };
  if (name.startsWith('session-cookie-') || name === 'affinity-mode' || name === 'affinity-canary-behavior') return { [`${N}affinity`]: 'cookie' };
  if (name === 'permanent-redirect-code') return { [`${N}permanent-redirect`]: 'https://www.example.com/' };
  if (name === 'temporal-redirect-code') return { [`${N}temporal-redirect`]: 'https://maintenance.example.com/' };
  if (name.startsWith('proxy-ssl-')) return { [`${N}backend-protocol`]: 'HTTPS' };
  if (name.startsWith('auth-') && !['auth-type', 'auth-secret', 'auth-secret-type', 'auth-realm', 'auth-url', 'auth-snippet'].includes(name) && !name.startsWith('auth-tls-')) return { [`${N}auth-url`]: 'https://auth.example.com/oauth2/auth' };
  if (['auth-secret', 'auth-secret-type', 'auth-realm'].includes(name)) return { [`${N}auth-type`]: 'basic' };
  if (name === 'auth-type') return { [`${N}auth-secret`]: 'basic-auth' };
  if (name.startsWith('auth-tls-') && name !== 'auth-tls-secret') return { [`${N}auth-tls-secret`]: 'default/ca-secret' };
  if (name === 'limit-burst-multiplier' || name === 'limit-whitelist') return { [`${N}limit-rps`]: '5' };
  if (name === 'limit-rate-after') return { [`${N}limit-rate`]: '100' };
  if (name === 'proxy-redirect-to') return { [`${N}proxy-redirect-from`]: 'http://backend.local/' };
  if (name === 'proxy-redirect-from') return { [`${N}proxy-redirect-to`]: 'https://example.com/' };
  if (name === 'rewrite-target') return { [`${N}use-regex`]: 'true' };
  if (name === 'custom-http-errors') return { [`${N}default-backend`]: 'error-pages' };
  if (name.startsWith('global-rate-limit-')) return { [`${N}global-rate-limit`]: '100' };
  if (name.startsWith('influxdb-')) return { [`${N}enable-influxdb`]: 'true' };
  if (name.startsWith('upstream-hash-by-subset')) return { [`${N}upstream-hash-by`]: '$request_uri' };
  if (name === 'mirror-request-body' || name === 'mirror-host') return { [`${N}mirror-target`]: 'https://test.env.com/$request_uri' };
  return {};
}

function findingOf(name: string, sample: string): AnnotationFinding {
  const annotations = { ...companions(name), [`${N}${name}`]: sample };
  // The objects the examples name exist, as they would in a working cluster.
  const objects: KubeObject[] = [
    ingress('web', { annotations, rules: [rule('a.example.com', ['/', 'Prefix', 'app', 80])] }),
    service('app', [{ port: 80 }]),
    service('error-pages', [{ port: 80 }]),
    secret('basic-auth', { auth: 'admin:{PLAIN}secret\n' }, 'Opaque'),
  ];
  const snapshot = snapshotOf(objects);
  const result = buildRouteTable(snapshot, options({ watchIngressWithoutClass: true }));
  const report = annotationReport(snapshot, result, { controllerName: CONTROLLER, watchIngressWithoutClass: true });
  const finding = report.ingresses[0]!.annotations.find((a) => a.key === `${N}${name}`);
  assert.ok(finding !== undefined, name);
  return finding;
}

/** The short why: the honoured reason, or the diagnostic's own reason without the boilerplate. */
function note(f: AnnotationFinding): string {
  let why = f.reason;
  why = why.replace(/^"[^"]+" is an ingress-nginx annotation Gatehouse does not read(: )?/, '').replace(/; see docs\/annotations\.md$/, '');
  why = why.replace(/; every route of this Ingress answers 503 until it is (removed|corrected|removed or rewritten)( \(see docs\/security\.md, Fail closed\))?$/, '');
  why = why.replace(/^"[^"]+" /, '');
  if (why.length === 0) why = 'not read';
  const code = f.code === undefined ? '' : ` (\`${f.code}\`)`;
  return `${why.replaceAll('|', '\\|')}${code}`;
}

function table(): string {
  const rows = INGRESS_NGINX_ANNOTATIONS.map(([name, sample]) => {
    const f = findingOf(name, sample);
    const outcome = f.outcome === 'refuses' ? '**refuses**' : f.outcome;
    return `| \`${N}${name}\` | \`${sample.replaceAll('|', '\\|')}\` | ${outcome} | ${note(f)} |`;
  });
  const counts = (o: string): number => INGRESS_NGINX_ANNOTATIONS.filter(([n, s]) => findingOf(n, s).outcome === o).length;
  return [
    `${INGRESS_NGINX_ANNOTATIONS.length} annotations: ${counts('honoured')} honoured, ${counts('ignored')} ignored (with a warning), ${counts('refuses')} refuse the Ingress.`,
    '',
    '| ingress-nginx annotation | Example value | Gatehouse | Why / how |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

test('docs/annotations.md documents every ingress-nginx annotation with the outcome gatehouse check gives', () => {
  const doc = readFileSync(DOC_PATH, 'utf8');
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  assert.ok(begin >= 0 && end > begin, 'docs/annotations.md has the coverage markers');
  const expected = table();
  if (process.env['GATEHOUSE_UPDATE_GOLDEN'] === '1') {
    writeFileSync(DOC_PATH, `${doc.slice(0, begin + BEGIN.length)}\n${expected}\n${doc.slice(end)}`);
    return;
  }
  assert.equal(doc.slice(begin + BEGIN.length, end).trim(), expected.trim());
});

test('no ingress-nginx annotation is accepted and silently dropped: each is honoured, warned about or refusing', () => {
  for (const [name, sample] of INGRESS_NGINX_ANNOTATIONS) {
    const f = findingOf(name, sample);
    assert.ok(['honoured', 'ignored', 'refuses'].includes(f.outcome), `${name}: ${f.outcome}`);
    if (f.outcome === 'ignored') assert.ok(f.code !== undefined, `${name}: an ignored annotation has its diagnostic`);
  }
});
