// The safe snippet subset as tables through the real parser: each accepted directive in its plain
// forms and what typed setting it becomes; everything else (another directive, a block, an option,
// an unknown variable, framing headers) refused with the directive and its line; nginx's quirks
// (server-level proxy_set_header never applies, a location add_header hides the server's, the
// first return wins); --snippets=refuse; and the header annotations' grammar.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectPolicies } from '../../src/core/collect-policies.ts';
import type { Ingress } from '../../src/core/model.ts';
import { lexNginx } from '../../src/core/snippets/nginx-tokens.ts';
import { parseSnippet } from '../../src/core/snippets/parse-snippet.ts';
import { parseHeaderLines } from '../../src/core/snippets/header-lines.ts';
import { parseValueTemplate } from '../../src/core/snippets/value-template.ts';

const N = 'nginx.ingress.kubernetes.io/';
const t = (text: string) => ({ kind: 'text' as const, text });
const v = (name: 'host' | 'request_uri' | 'scheme' | 'remote_addr' | 'req_id') => ({ kind: 'var' as const, name });

function ingress(annotations: Record<string, string>): Ingress {
  return { kind: 'Ingress', metadata: { namespace: 'shop', name: 'web', labels: {}, annotations }, spec: {} };
}

function policy(annotations: Record<string, string>, snippets: 'subset' | 'refuse' = 'subset') {
  const { policies, diagnostics } = collectPolicies([ingress(annotations)], new Map(), { allowCrossNamespaceSecrets: false, snippets });
  return { policy: policies.get('shop/web')!, diagnostics };
}

test('the lexer: words, both quotes with escapes, comments, ";" and "${var}" inside a word', () => {
  const lexed = lexNginx(`more_set_headers "X-A: a \\"b\\"" 'X-B: it\\'s';  # comment ; {\nproxy_set_header X-C \${host}x;`);
  assert.ok(lexed.ok);
  assert.deepEqual(
    lexed.tokens.map((k) => (k.kind === 'word' ? `${k.text}@${k.line}` : k.kind === 'semicolon' ? ';' : k.text)),
    ['more_set_headers@1', 'X-A: a "b"@1', "X-B: it's@1", ';', 'proxy_set_header@2', 'X-C@2', '${host}x@2', ';'],
  );
  assert.deepEqual(lexNginx('return 200 "open'), { ok: false, line: 1, reason: 'a quoted string (") is not closed' });
});

test('accepted directives become typed settings (table)', () => {
  const cases: [string, object][] = [
    [`more_set_headers "X-Frame-Options: DENY";`, { response: [{ name: 'x-frame-options', value: [t('DENY')], mode: 'set', always: true }] }],
    [`more_set_headers 'X-A: 1' 'X-B: $host';`, { response: [{ name: 'x-a', value: [t('1')], mode: 'set', always: true }, { name: 'x-b', value: [v('host')], mode: 'set', always: true }] }],
    [`more_set_headers "Server:";`, { response: [{ name: 'server', value: [], mode: 'set', always: true }] }],
    [`more_clear_headers Server 'X-Powered-*';`, { hide: ['server', 'x-powered-*'] }],
    [`add_header X-Served-By gatehouse;`, { response: [{ name: 'x-served-by', value: [t('gatehouse')], mode: 'add', always: false }] }],
    [`add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;`, { response: [{ name: 'strict-transport-security', value: [t('max-age=31536000; includeSubDomains')], mode: 'add', always: true }] }],
    [`proxy_set_header X-Real-IP $remote_addr;\nproxy_set_header X-Request-ID $req_id;`, { request: [{ name: 'x-real-ip', value: [v('remote_addr')] }, { name: 'x-request-id', value: [v('req_id')] }] }],
    [`proxy_set_header Accept-Encoding "";`, { request: [{ name: 'accept-encoding', value: [] }] }],
    [`proxy_hide_header X-Powered-By;`, { hide: ['x-powered-by'] }],
    [`return 403;`, { fixed: { status: 403 } }],
    [`return 200 "ok";`, { fixed: { status: 200, body: [t('ok')] } }],
    [`return 301 https://www.example.com$request_uri;`, { fixed: { status: 301, location: [t('https://www.example.com'), v('request_uri')] } }],
    [`return https://$host/moved;`, { fixed: { status: 302, location: [t('https://'), v('host'), t('/moved')] } }],
    [`return 308 /new;`, { fixed: { status: 308, location: [t('/new')] } }],
    [`return 444;`, { fixed: { status: 444 } }],
    [`# only a comment\n\n`, {}],
  ];
  for (const [text, expected] of cases) {
    const r = parseSnippet(text, 'configuration');
    assert.ok(r.ok, `${text}: ${JSON.stringify(r)}`);
    assert.deepEqual(r.settings, { request: [], response: [], hide: [], ignored: [], ...expected }, text);
  }
});

test('anything outside the subset is refused with its directive and line (table)', () => {
  const cases: [string, number, string, RegExp][] = [
    ['deny all;', 1, 'deny', /not in the supported subset/],
    ['more_set_headers "X-A: 1";\nallow 10.0.0.0/8;\ndeny all;', 2, 'allow', /not in the supported subset/],
    ['if ($http_x_bad) {\n  return 403;\n}', 1, 'if', /blocks/],
    ['location /x { return 404; }', 1, 'location', /blocks/],
    ['rewrite ^/a /b break;', 1, 'rewrite', /not in the supported subset/],
    ['set $x 1;', 1, 'set', /not in the supported subset/],
    ['auth_request /auth;', 1, 'auth_request', /not in the supported subset/],
    ['more_set_headers -s 404 "X-A: 1";', 1, 'more_set_headers', /option -s/],
    ['more_clear_headers -t text/html X-A;', 1, 'more_clear_headers', /option -t/],
    ['proxy_set_header X-User $remote_user;', 1, 'proxy_set_header', /\$remote_user is not one Gatehouse fills in/],
    ['proxy_set_header X-A "$http_cookie";', 1, 'proxy_set_header', /\$http_cookie/],
    ['proxy_set_header Content-Length 0;', 1, 'proxy_set_header', /frames the message/],
    ['more_set_headers "Transfer-Encoding: chunked";', 1, 'more_set_headers', /frames the message/],
    ['add_header X-A 1 sometimes;', 1, 'add_header', /"always"/],
    ['add_header X-A;', 1, 'add_header', /2 to 3 arguments/],
    ['proxy_set_header "X A" 1;', 1, 'proxy_set_header', /not a header name/],
    ['return 999;', 1, 'return', /not a status/],
    ['return 301;', 1, 'return', /needs a URL/],
    ['return 301 javascript:alert(1);', 1, 'return', /absolute/],
    ['return /relative;', 1, 'return', /http:\/\/ or https:\/\//],
    ['more_set_headers "X-A: 1"', 1, 'more_set_headers', /does not end with ";"/],
    ['more_clear_headers *;', 1, 'more_clear_headers', /every header/],
    ['"quoted" x;', 1, 'quoted', /cannot be quoted/],
  ];
  for (const [text, line, directive, reason] of cases) {
    const r = parseSnippet(text, 'configuration');
    assert.equal(r.ok, false, text);
    if (r.ok) continue;
    assert.equal(r.line, line, text);
    assert.equal(r.directive, directive, text);
    assert.match(r.reason, reason, text);
  }
  const nul = parseSnippet('more_set_headers "X: a\u0000";', 'configuration');
  assert.ok(!nul.ok && /NUL/.test(nul.reason));
  const long = parseSnippet(`# ${'x'.repeat(17_000)}`, 'configuration');
  assert.ok(!long.ok && /longer than/.test(long.reason));
});

test('a refused snippet refuses the Ingress with SnippetUnsupported naming the directive and line; others are untouched', () => {
  const { policy: p, diagnostics } = policy({ [`${N}configuration-snippet`]: 'more_set_headers "X-A: 1";\ndeny all;' });
  assert.deepEqual(p.refused, { code: 'SnippetUnsupported', annotation: `${N}configuration-snippet` });
  assert.equal(diagnostics.length, 1);
  assert.equal(diagnostics[0]!.code, 'SnippetUnsupported');
  assert.equal(diagnostics[0]!.severity, 'error');
  assert.match(diagnostics[0]!.message, /line 2, "deny"/);
  assert.match(diagnostics[0]!.message, /answers 503/);
  assert.equal(p.headerEdits, undefined, 'nothing of a refused snippet is applied');
});

test('--snippets=refuse refuses every snippet, even one inside the subset', () => {
  const { policy: p, diagnostics } = policy({ [`${N}configuration-snippet`]: 'more_set_headers "X-A: 1";' }, 'refuse');
  assert.deepEqual(p.refused, { code: 'AnnotationProtectionUnsupported', annotation: `${N}configuration-snippet` });
  assert.match(diagnostics[0]!.message, /--snippets=refuse/);
});

test("nginx's inheritance: server proxy_set_header never applies, a location add_header hides the server's, server return first", () => {
  const { policy: p, diagnostics } = policy({
    [`${N}server-snippet`]: 'proxy_set_header X-From-Server 1;\nadd_header X-Server-Add 1;\nmore_set_headers "X-Server-Set: 1";\nreturn 302 https://$host/maintenance;',
    [`${N}configuration-snippet`]: 'add_header X-Location-Add 1;\nproxy_set_header X-From-Location 1;\nreturn 403;',
  });
  assert.equal(p.refused, undefined);
  assert.deepEqual(p.headerEdits, {
    request: [{ name: 'x-from-location', value: [t('1')] }],
    response: [{ name: 'x-server-set', value: [t('1')], mode: 'set', always: true }, { name: 'x-location-add', value: [t('1')], mode: 'add', always: false }],
    hide: [],
  });
  assert.deepEqual(p.fixedAnswer, { status: 302, location: [t('https://'), v('host'), t('/maintenance')] });
  assert.deepEqual(
    diagnostics.map((d) => `${d.code} ${d.severity}`),
    ['SnippetDirectiveIgnored warning', 'SnippetDirectiveIgnored warning'],
  );
  assert.match(diagnostics[0]!.message, /line 1, "proxy_set_header" has no effect/);
  assert.match(diagnostics[1]!.message, /add_header lines of .*server-snippet.* have no effect/);
});

test('gatehouse.dev header annotations combine with snippets; the annotations come last so they win', () => {
  const { policy: p, diagnostics } = policy({
    [`${N}configuration-snippet`]: 'more_set_headers "X-Frame-Options: SAMEORIGIN";',
    'gatehouse.dev/response-headers': 'X-Frame-Options: DENY\nContent-Security-Policy: default-src \'self\'; img-src *',
    'gatehouse.dev/request-headers': 'X-Env: prod\nX-Debug:',
    'gatehouse.dev/remove-response-headers': 'X-Powered-By, X-Debug-*',
  });
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(p.headerEdits, {
    request: [{ name: 'x-env', value: [t('prod')] }, { name: 'x-debug', value: [] }],
    response: [
      { name: 'x-frame-options', value: [t('SAMEORIGIN')], mode: 'set', always: true },
      { name: 'x-frame-options', value: [t('DENY')], mode: 'set', always: true },
      { name: 'content-security-policy', value: [t("default-src 'self'; img-src *")], mode: 'set', always: true },
    ],
    hide: ['x-powered-by', 'x-debug-*'],
  });
});

test('header lines and templates: the grammar (table)', () => {
  assert.deepEqual(parseHeaderLines('X-A: 1\r\n\nX-B:  two words '), { ok: true, value: [{ name: 'x-a', value: [t('1')] }, { name: 'x-b', value: [t('two words')] }] });
  for (const bad of ['', 'X-A', 'X A: 1', 'Connection: close', 'X-A: \u00e9', 'X-A: $foo', 'X-A: ${host']) assert.equal(parseHeaderLines(bad).ok, false, bad);
  assert.deepEqual(parseValueTemplate('$scheme://${host}$request_uri'), { ok: true, parts: [v('scheme'), t('://'), v('host'), v('request_uri')] });
  assert.equal(parseValueTemplate('cost: 5$').ok, false, 'a bare "$" has no escape in nginx');
  assert.equal(parseValueTemplate('a\tb').ok, true, 'tabs are allowed in header values');
});
