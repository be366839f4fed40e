// Fail closed (docs/annotations.md, docs/security.md): every protection annotation of the catalogue,
// of ingress-nginx and of the other controllers, refuses its Ingress with an error naming it; the
// values that switch the feature off and the names that only tune are warnings; the documentation
// lists exactly the catalogue.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseIngressPolicy } from '../../src/core/annotations/parse-ingress-policy.ts';
import { SNIPPET_KEYS } from '../../src/core/snippets/resolve-snippets.ts';
import { BACKEND_PROTOCOL_KEYS } from '../../src/core/annotations/resolve-backend-protocol.ts';
import { BASIC_AUTH_KEYS } from '../../src/core/annotations/resolve-basic-auth.ts';
import { CLIENT_CERTIFICATE_KEYS } from '../../src/core/annotations/resolve-client-certificate.ts';
import { collectPolicies } from '../../src/core/collect-policies.ts';
import { CONTROLLER_ANNOTATIONS, matchProtection, type ProtectionRule } from '../../src/core/annotations/protection-annotations.ts';
import type { Diagnostic } from '../../src/core/diagnostics.ts';
import type { RoutePolicy } from '../../src/core/policy.ts';

const DOC = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'annotations.md'), 'utf8');

function parse(annotations: Record<string, string>): { policy: RoutePolicy; diagnostics: Diagnostic[] } {
  return parseIngressPolicy({ kind: 'Ingress', metadata: { namespace: 'shop', name: 'web', labels: {}, annotations }, spec: {} });
}

/** A concrete name for a rule ('auth-*' → 'auth-anything'). */
function concreteName(rule: ProtectionRule): string {
  return rule.name.endsWith('*') ? `${rule.name.slice(0, -1)}anything` : rule.name;
}

/** A value that asks for the rule's protection. */
function askingValue(rule: ProtectionRule): string {
  return rule.on?.[0] ?? 'true-ish value';
}

test('every protection annotation of every controller refuses the Ingress with an error naming it', () => {
  let checked = 0;
  for (const controller of CONTROLLER_ANNOTATIONS) {
    for (const rule of controller.rules) {
      const key = controller.prefix + concreteName(rule);
      // A pattern can be shadowed by a more specific rule with off values: use the rule that matches.
      const match = matchProtection(key, askingValue(rule));
      if (match?.rule !== rule) continue;
      if (BACKEND_PROTOCOL_KEYS.has(key)) continue; // enforced now: test/policy/backend-protocol.test.ts
      if (key === 'nginx.ingress.kubernetes.io/ssl-passthrough') {
        // Read by the route builder now: refused without --enable-ssl-passthrough (test/core/collect-passthrough.test.ts).
        checked++;
        continue;
      }
      if (BASIC_AUTH_KEYS.has(key) || CLIENT_CERTIFICATE_KEYS.has(key)) {
        // Enforced now (test/policy/basic-auth.test.ts, test/tls/client-certificates.test.ts); alone or
        // with a value it cannot honour, still refused.
        const ingress = { kind: 'Ingress' as const, metadata: { namespace: 'shop', name: 'web', labels: {}, annotations: { [key]: askingValue(rule) } }, spec: {} };
        const { policies, diagnostics } = collectPolicies([ingress], new Map(), { allowCrossNamespaceSecrets: false });
        assert.equal(policies.get('shop/web')?.refused?.code, 'AnnotationProtectionInvalid', key);
        assert.equal(diagnostics.length, 1, key);
        assert.ok(diagnostics[0]!.message.includes('503'), key);
        checked++;
        continue;
      }
      if (SNIPPET_KEYS.has(key)) {
        // Read through the safe subset now (test/policy/snippets-parse.test.ts); anything outside it refuses.
        const ingress = { kind: 'Ingress' as const, metadata: { namespace: 'shop', name: 'web', labels: {}, annotations: { [key]: askingValue(rule) } }, spec: {} };
        const { policies, diagnostics } = collectPolicies([ingress], new Map(), { allowCrossNamespaceSecrets: false });
        assert.deepEqual(policies.get('shop/web')?.refused, { code: 'SnippetUnsupported', annotation: key }, key);
        assert.equal(diagnostics.length, 1, key);
        assert.ok(diagnostics[0]!.message.includes('503'), key);
        checked++;
        continue;
      }
      const { policy, diagnostics } = parse({ [key]: askingValue(rule) });
      assert.deepEqual(policy.refused, { code: 'AnnotationProtectionUnsupported', annotation: key }, key);
      assert.equal(diagnostics.length, 1, key);
      const d = diagnostics[0]!;
      assert.equal(d.code, 'AnnotationProtectionUnsupported', key);
      assert.equal(d.severity, 'error', key);
      assert.equal(d.field, `metadata.annotations["${key}"]`);
      assert.ok(d.message.includes(rule.protects), `${key}: the message says what it protects`);
      assert.ok(d.message.includes('503'), `${key}: the message says the routes answer 503`);
      checked++;
    }
  }
  assert.ok(checked >= 90, `only ${checked} rules checked`);
});

test('the real-world shapes people carry over are refused', () => {
  const cases: Record<string, string>[] = [
    { 'nginx.ingress.kubernetes.io/auth-snippet': 'proxy_set_header X-Foo-Header 42;\n' },
    { 'nginx.ingress.kubernetes.io/auth-proxy-set-headers': 'auth-headers' },
    { 'nginx.ingress.kubernetes.io/auth-tls-match-cn': 'CN=client' },
    { 'nginx.ingress.kubernetes.io/limit-rate': '100' },
    { 'nginx.ingress.kubernetes.io/limit-rate-after': '10m' },
    { 'nginx.ingress.kubernetes.io/limit-req-status-code': '429' },
    { 'ingress.kubernetes.io/limit-rps': '5' },
    { 'nginx.ingress.kubernetes.io/global-rate-limit': '100', 'nginx.ingress.kubernetes.io/global-rate-limit-window': '1m' },
    { 'nginx.ingress.kubernetes.io/satisfy': 'any' },
    { 'nginx.ingress.kubernetes.io/enable-modsecurity': 'true' },
    { 'nginx.ingress.kubernetes.io/enable-owasp-core-rules': 'true' },
    { 'nginx.ingress.kubernetes.io/modsecurity-snippet': 'SecRuleEngine On\n' },
    { 'ingress.kubernetes.io/auth-type': 'basic', 'ingress.kubernetes.io/auth-secret': 'users' },
    { 'ingress.kubernetes.io/whitelist-source-range': '10.0.0.0/8' },
    { 'nginx.org/basic-auth-secret': 'cafe-passwd' },
    { 'nginx.com/jwt-key': 'cafe-jwk' },
    { 'nginx.org/policies': 'rate-limit-policy,jwt-policy' },
    { 'nginx.org/location-snippets': 'deny 10.0.0.1;' },
    { 'haproxy.org/allow-list': '192.168.1.0/24, 10.0.0.1' },
    { 'haproxy.org/auth-type': 'basic-auth', 'haproxy.org/auth-secret': 'default/haproxy-credentials' },
    { 'haproxy.com/deny-list': '10.0.0.1' },
    { 'traefik.ingress.kubernetes.io/router.middlewares': 'default-basic-auth@kubernetescrd' },
    { 'alb.ingress.kubernetes.io/auth-type': 'oidc', 'alb.ingress.kubernetes.io/auth-idp-oidc': '{"issuer":"https://auth.example.com"}' },
    { 'alb.ingress.kubernetes.io/inbound-cidrs': '10.0.0.0/24' },
    { 'appgw.ingress.kubernetes.io/waf-policy-for-path': '/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/applicationGatewayWebApplicationFirewallPolicies/z' },
    { 'konghq.com/plugins': 'key-auth,ip-restriction' },
  ];
  for (const annotations of cases) {
    const { policy, diagnostics } = parse(annotations);
    const first = Object.keys(annotations).sort()[0]!;
    assert.deepEqual(policy.refused, { code: 'AnnotationProtectionUnsupported', annotation: first }, JSON.stringify(annotations));
    assert.ok(diagnostics.every((d) => d.code === 'AnnotationProtectionUnsupported' && d.severity === 'error'), JSON.stringify(diagnostics));
    assert.equal(diagnostics.length, Object.keys(annotations).length, 'each annotation is named');
    for (const d of diagnostics) for (const value of Object.values(annotations)) if (value.length > 6) assert.ok(!d.message.includes(value), 'the value is never quoted');
  }
});

test('the real-world snippets that do access control are refused by the subset', () => {
  const cases: Record<string, string>[] = [
    { 'nginx.ingress.kubernetes.io/server-snippet': 'location /admin { deny all; }\n' },
    { 'nginx.ingress.kubernetes.io/configuration-snippet': 'if ($http_x_secret != "s3cret") { return 403; }' },
    { 'nginx.ingress.kubernetes.io/configuration-snippet': 'more_set_headers "X-Frame-Options: DENY";\nallow 10.0.0.0/8;\ndeny all;' },
    { 'nginx.ingress.kubernetes.io/configuration-snippet': 'auth_request /auth;' },
  ];
  for (const annotations of cases) {
    const ingress = { kind: 'Ingress' as const, metadata: { namespace: 'shop', name: 'web', labels: {}, annotations }, spec: {} };
    const { policies, diagnostics } = collectPolicies([ingress], new Map(), { allowCrossNamespaceSecrets: false });
    assert.deepEqual(policies.get('shop/web')?.refused, { code: 'SnippetUnsupported', annotation: Object.keys(annotations)[0]! }, JSON.stringify(annotations));
    assert.deepEqual(diagnostics.map((d) => `${d.code} ${d.severity}`), ['SnippetUnsupported error']);
  }
});

test('client certificates asked for with a Secret that does not exist: refused (ClientCertSecretNotFound), never served without them', () => {
  const ingress = { kind: 'Ingress' as const, metadata: { namespace: 'shop', name: 'web', labels: {}, annotations: { 'nginx.ingress.kubernetes.io/auth-tls-verify-client': 'on', 'nginx.ingress.kubernetes.io/auth-tls-secret': 'default/ca-secret' } }, spec: {} };
  const { policies, diagnostics } = collectPolicies([ingress], new Map(), { allowCrossNamespaceSecrets: true });
  assert.equal(policies.get('shop/web')?.refused?.code, 'ClientCertSecretNotFound');
  assert.ok(diagnostics.some((d) => d.code === 'ClientCertSecretNotFound' && d.severity === 'error'));
});

test('values that switch a protection off, and names that only tune, are warnings: the Ingress serves', () => {
  const off: Record<string, string> = {
    'nginx.ingress.kubernetes.io/enable-modsecurity': 'false',
    'nginx.ingress.kubernetes.io/satisfy': 'all',
    'nginx.ingress.kubernetes.io/enable-global-auth': 'false',
    'alb.ingress.kubernetes.io/auth-type': 'none',
    'haproxy.org/server-ssl': 'false',
  };
  const tuning: Record<string, string> = {
    'nginx.org/proxy-read-timeout': '30s',
    'haproxy.org/timeout-server': '50s',
    'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
    'alb.ingress.kubernetes.io/scheme': 'internet-facing',
    'ingress.kubernetes.io/ssl-redirect': 'false',
    'appprotect.f5.com/app-protect-enable': 'False',
    'appgw.ingress.kubernetes.io/backend-protocol': 'http',
    'konghq.com/strip-path': 'true',
  };
  const { policy, diagnostics } = parse({ ...off, ...tuning });
  assert.equal(policy.refused, undefined);
  for (const d of diagnostics) {
    assert.equal(d.severity, 'warning', `${d.code} ${d.field}`);
    const key = /"(.*)"/.exec(d.field ?? '')![1]!;
    assert.equal(d.code, key.startsWith('nginx.ingress.kubernetes.io/') ? 'AnnotationUnsupported' : 'AnnotationForeignController', key);
  }
  assert.equal(diagnostics.length, Object.keys(off).length + Object.keys(tuning).length);
});

test('annotations of no known controller are not reported; the refusal names the first key in order', () => {
  const { policy, diagnostics } = parse({ 'example.com/auth': 'x', 'kubernetes.io/ingress.class': 'gatehouse', 'cert-manager.io/cluster-issuer': 'le' });
  assert.equal(policy.refused, undefined);
  assert.deepEqual(diagnostics, []);
  const a = parse({ 'nginx.ingress.kubernetes.io/limit-rate': '5', 'haproxy.org/allow-list': '10.0.0.1', 'nginx.ingress.kubernetes.io/auth-snippet': 'x' });
  const b = parse({ 'nginx.ingress.kubernetes.io/auth-snippet': 'x', 'haproxy.org/allow-list': '10.0.0.1', 'nginx.ingress.kubernetes.io/limit-rate': '5' });
  assert.deepEqual(a, b);
  assert.equal(a.policy.refused?.annotation, 'haproxy.org/allow-list');
});

test('docs/annotations.md lists every rule of the catalogue, with what it protects and when it refuses', () => {
  const nginxRules = CONTROLLER_ANNOTATIONS[0]!.rules;
  for (const c of CONTROLLER_ANNOTATIONS) {
    assert.ok(DOC.includes(`| **${c.controller}** | | |`), c.controller);
    for (const r of c.rules) {
      if (c.prefix === 'ingress.kubernetes.io/' && nginxRules.includes(r)) continue;
      assert.ok(DOC.includes(`| \`${c.prefix}${r.name}\` | ${r.protects} | `), `${c.prefix}${r.name}`);
    }
  }
});

test('rate limits are enforced now: limit-rps, limit-rpm, limit-connections no longer refuse; a broken value does', () => {
  for (const annotations of [{ 'nginx.ingress.kubernetes.io/limit-rps': '5' } as Record<string, string>, { 'nginx.ingress.kubernetes.io/limit-rpm': '300' }, { 'nginx.ingress.kubernetes.io/limit-connections': '10' }]) {
    const { policy, diagnostics } = parse(annotations);
    assert.equal(policy.refused, undefined, JSON.stringify(annotations));
    assert.deepEqual(diagnostics, [], JSON.stringify(annotations));
    assert.ok(policy.rateLimit !== undefined, JSON.stringify(annotations));
  }
  for (const [key, value] of [
    ['nginx.ingress.kubernetes.io/limit-rps', 'five'],
    ['nginx.ingress.kubernetes.io/limit-rpm', '-1'],
    ['nginx.ingress.kubernetes.io/limit-connections', '1.5'],
    ['nginx.ingress.kubernetes.io/limit-burst-multiplier', '-1'],
    ['nginx.ingress.kubernetes.io/limit-whitelist', '10.0.0.0/33'],
    ['gatehouse.dev/limit-rps', '10r/s'],
  ] as const) {
    const { policy, diagnostics } = parse({ 'nginx.ingress.kubernetes.io/limit-rps': '5', [key]: value });
    assert.deepEqual(policy.refused, { code: 'AnnotationProtectionInvalid', annotation: key }, key);
    assert.equal(diagnostics[0]?.code, 'AnnotationProtectionInvalid', key);
    assert.equal(diagnostics[0]?.severity, 'error', key);
  }
  // limit-burst-multiplier 0: no burst (ingress-nginx writes burst=0), stricter than the default, honoured.
  const noBurst = parse({ 'nginx.ingress.kubernetes.io/limit-rps': '5', 'nginx.ingress.kubernetes.io/limit-burst-multiplier': '0' });
  assert.equal(noBurst.policy.refused, undefined);
  assert.equal(noBurst.policy.rateLimit?.burstMultiplier, 0);
});
