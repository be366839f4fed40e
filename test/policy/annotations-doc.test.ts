// docs/annotations.md documents exactly what the schema supports: every annotation with its type,
// default and example, every ingress-nginx mapping and every deliberately unread ingress-nginx
// annotation; and nothing the schema does not know.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ANNOTATIONS, NGINX_ANNOTATIONS, NGINX_NOT_MAPPED } from '../../src/core/annotations/annotation-schema.ts';
import { describeType } from '../../src/core/annotations/value-types.ts';
import { BACKEND_PROTOCOL_KEYS } from '../../src/core/annotations/resolve-backend-protocol.ts';

const DOC = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'annotations.md'), 'utf8');

/** `### \`gatehouse.dev/x\`` sections, by annotation key. */
function sections(): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of DOC.split(/^### /m).slice(1)) {
    const [heading = '', ...body] = part.split('\n');
    const key = /^`([^`]+)`$/.exec(heading.trim())?.[1];
    if (key !== undefined) out.set(key, body.join('\n').split(/^## /m)[0]!);
  }
  return out;
}

test('every annotation in the schema has a section with its type, default and example', () => {
  const docs = sections();
  for (const spec of ANNOTATIONS) {
    const key = `gatehouse.dev/${spec.name}`;
    const body = docs.get(key);
    assert.ok(body !== undefined, `docs/annotations.md has no "### \`${key}\`" section`);
    assert.ok(body.includes(`- Type: ${describeType(spec.type)}\n`), `${key}: type`);
    assert.ok(body.includes(`- Default: ${spec.default}\n`), `${key}: default`);
    assert.ok(body.includes(`- Example: \`${key}: "${spec.example}"\`\n`), `${key}: example`);
    assert.ok(body.includes(spec.doc), `${key}: description`);
    assert.ok(DOC.includes(`| [\`${key}\`]`), `${key}: in the summary table`);
  }
});

test('no section documents an annotation the schema does not know', () => {
  const known = new Set(ANNOTATIONS.map((a) => `gatehouse.dev/${a.name}`));
  for (const key of sections().keys()) assert.ok(known.has(key), `docs/annotations.md documents ${key}, which the schema does not have`);
  for (const m of DOC.matchAll(/`(gatehouse\.dev\/[a-z0-9-]+)/g)) {
    assert.ok(known.has(m[1]!) || BACKEND_PROTOCOL_KEYS.has(m[1]!) || m[1] === 'gatehouse.dev/retires', `docs/annotations.md mentions ${m[1]}`);
  }
});

test('every ingress-nginx mapping and every unread ingress-nginx annotation is in the tables', () => {
  for (const m of NGINX_ANNOTATIONS) {
    const target = ANNOTATIONS.find((a) => a.field === m.field)!;
    assert.ok(DOC.includes(`| \`nginx.ingress.kubernetes.io/${m.name}\` | \`gatehouse.dev/${target.name}\` | ${m.note} |`), m.name);
  }
  for (const m of NGINX_NOT_MAPPED) assert.ok(DOC.includes(`| \`nginx.ingress.kubernetes.io/${m.name}\` | ${m.why} |`), m.name);
});

test('every example in the docs is a valid value', async () => {
  const { parseIngressPolicy } = await import('../../src/core/annotations/parse-ingress-policy.ts');
  const yaml = /```yaml\n([\s\S]*?)```/.exec(DOC)![1]!;
  const annotations = Object.fromEntries([...yaml.matchAll(/^\s+(gatehouse\.dev\/[a-z0-9-]+): "([^"]*)"$/gm)].map((m) => [m[1]!, m[2]!]));
  assert.ok(Object.keys(annotations).length >= 3);
  const { diagnostics } = parseIngressPolicy({ kind: 'Ingress', metadata: { namespace: 'd', name: 'x', labels: {}, annotations }, spec: {} });
  assert.deepEqual(diagnostics, []);
});

test('the documented health and budget figures are the data plane defaults', async () => {
  const { DEFAULT_PASSIVE_HEALTH } = await import('../../src/dataplane/proxy/passive-health.ts');
  const { DEFAULT_RETRY_BUDGET } = await import('../../src/dataplane/proxy/retry-budget.ts');
  const h = DEFAULT_PASSIVE_HEALTH;
  assert.ok(DOC.includes(`An endpoint with ${h.consecutiveFailures} consecutive failures is ejected for ${h.baseEjectionMs / 1000} s, doubling at each new ejection up to ${h.maxEjectionMs / 60_000} min`));
  const b = DEFAULT_RETRY_BUDGET;
  assert.ok(DOC.includes(`at most ${b.ratio * 100}% of the requests of the last ${b.windowMs / 1000} s, plus ${b.minRetries}`));
});
