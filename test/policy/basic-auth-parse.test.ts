// The pure parsing of basic-auth Secrets and annotations (core/parse-htpasswd.ts, password-hash.ts,
// annotations/resolve-basic-auth.ts): the htpasswd file format as nginx reads it, the caps, every
// hash format accepted or refused by name, and the annotation combinations that refuse. Hashes are
// made by the real tools where Debian has them; {SSHA} (slappasswd is not packaged here) and
// {PLAIN} are built by hand, and each is then verified by the data plane's verifier.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { resolveBasicAuth } from '../../src/core/annotations/resolve-basic-auth.ts';
import type { Ingress, Secret } from '../../src/core/model.ts';
import { MAX_HTPASSWD_LINE_LENGTH, MAX_HTPASSWD_USERS, parseHtpasswd } from '../../src/core/parse-htpasswd.ts';
import { parsePasswordHash } from '../../src/core/password-hash.ts';
import { verifyPassword } from '../../src/dataplane/steps/verify-password.ts';

const SHA = execFileSync('htpasswd', ['-nbs', 'u', 'pw'], { encoding: 'utf8' }).trim().slice(2);
const BCRYPT = execFileSync('htpasswd', ['-nbB', 'u', 'pw'], { encoding: 'utf8' }).trim().slice(2);

test('htpasswd files: comments, blank lines, CRLF, comments after the hash, the first line of a user wins', () => {
  const parsed = parseHtpasswd({ auth: `# users\r\n\r\nalice:${SHA}:Alice Liddell\r\n   \nbob:${BCRYPT}\nalice:{PLAIN}other\n` }, 'auth-file');
  assert.ok(parsed.ok, JSON.stringify(parsed));
  assert.deepEqual(Object.keys(parsed.users), ['alice', 'bob']);
  assert.equal(parsed.users.alice?.algorithm, 'sha1');
  assert.ok(verifyPassword(parsed.users.alice!, Buffer.from('pw')));
  assert.ok(verifyPassword(parsed.users.bob!, Buffer.from('pw')));
});

test('auth-map: keys are users, values hashes (a trailing newline is not part of the hash)', () => {
  const parsed = parseHtpasswd({ carol: `${SHA}\n`, dave: BCRYPT }, 'auth-map');
  assert.ok(parsed.ok);
  assert.deepEqual(Object.keys(parsed.users).sort(), ['carol', 'dave']);
  assert.equal(parseHtpasswd({}, 'auth-map').ok, false);
  assert.equal(parseHtpasswd({ eve: `${SHA}\nmallory:{PLAIN}x` }, 'auth-map').ok, false, 'a second line smuggled into a value');
});

test('malformed files and the caps are refused with a reason that names the line, never its content', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ htpasswd: `u:${SHA}` }, /no key "auth"/],
    [{ auth: '# only a comment\n' }, /lists no users/],
    [{ auth: `u:${SHA}\nno-colon-here\n` }, /line 2 .* is not "user:hash"/],
    [{ auth: `:${SHA}\n` }, /line 1 .* invalid user name: it is empty/],
    [{ auth: `u:${SHA}\nv:\u0001${SHA}\n` }, /line 2 .* control character/],
    [{ auth: `u:${'x'.repeat(MAX_HTPASSWD_LINE_LENGTH)}\n` }, /longer than 1024/],
    [{ auth: Array.from({ length: MAX_HTPASSWD_USERS + 1 }, (_, i) => `u${i}:${SHA}`).join('\n') }, /more than 10000 users/],
    [{ auth: `u:$apr1$toolongsalt$${'a'.repeat(22)}\n` }, /line 1 .* invalid hash: an apr1 hash/],
    [{ auth: `u:$2y$03$${'a'.repeat(53)}\n` }, /cost 3 is below the minimum/],
    [{ auth: `u:$2y$16$${'a'.repeat(53)}\n` }, /cost 16 is above Gatehouse's limit of 15/],
    [{ auth: `u:$6$rounds=2000000$salt$${'a'.repeat(86)}\n` }, /above Gatehouse's limit of 1000000/],
    [{ auth: `u:$5$salt$${'a'.repeat(42)}\n` }, /SHA-256 crypt/],
    [{ auth: 'u:{SHA}notbase64\n' }, /base64 of 20 bytes/],
    [{ auth: `u:{SSHA}${Buffer.alloc(20).toString('base64')}\n` }, /\{SSHA\}/],
  ];
  for (const [data, reason] of cases) {
    const parsed = parseHtpasswd(data, 'auth-file');
    assert.equal(parsed.ok, false, JSON.stringify(data).slice(0, 80));
    if (!parsed.ok) {
      assert.equal(parsed.unsupported, false);
      assert.match(parsed.reason, reason);
      assert.ok(!parsed.reason.includes('aaaaaaaa') && !parsed.reason.includes(SHA), 'no hash text in the reason');
    }
  }
});

test('formats Gatehouse cannot verify are named: DES (made by htpasswd -d), BSDi, yescrypt, scrypt, $2x$, unknown', () => {
  const des = execFileSync('htpasswd', ['-nbd', 'u', 'pw'], { encoding: 'utf8' }).trim().slice(2);
  const cases: [string, RegExp][] = [
    [des, /DES crypt/],
    [`_J9..${'a'.repeat(15)}`, /BSDi extended DES/],
    ['$y$j9T$abc$def', /yescrypt/],
    ['$7$abc', /scrypt/],
    [`$2x$10$${'a'.repeat(53)}`, /bcrypt variant/],
    ['md5:5f4dcc3b5aa765d61d8327deb882cf99', /unrecognised/],
  ];
  for (const [hash, name] of cases) {
    const parsed = parsePasswordHash(hash);
    assert.equal(parsed.ok, false, hash);
    if (!parsed.ok) {
      assert.equal(parsed.unsupported, true, hash);
      assert.match(parsed.reason, name);
    }
  }
});

test('{SSHA} and {PLAIN} verify; rounds below 1000 are raised to 1000 as the sha-crypt specification says', () => {
  const salt = Buffer.from('NaCl4u');
  const ssha = `{SSHA}${Buffer.concat([createHash('sha1').update('pw').update(salt).digest(), salt]).toString('base64')}`;
  const parsed = parsePasswordHash(ssha);
  assert.ok(parsed.ok);
  assert.ok(verifyPassword(parsed.hash, Buffer.from('pw')));
  assert.ok(!verifyPassword(parsed.hash, Buffer.from('pW')));
  const plain = parsePasswordHash('{PLAIN}pw');
  assert.ok(plain.ok && verifyPassword(plain.hash, Buffer.from('pw')) && !verifyPassword(plain.hash, Buffer.from('pw2')));
  const low = execFileSync('openssl', ['passwd', '-5', '-salt', 'rounds=10$abc', 'pw'], { encoding: 'utf8' }).trim();
  // openssl writes the clamped count back (rounds=1000); the parser clamps a written 10 the same way.
  const written10 = low.replace(/rounds=\d+/, 'rounds=10');
  const p10 = parsePasswordHash(written10);
  assert.ok(p10.ok && p10.hash.algorithm === 'sha-crypt' && p10.hash.rounds === 1000);
  assert.ok(verifyPassword(p10.hash, Buffer.from('pw')));
});

function ingress(annotations: Record<string, string>): Ingress {
  return { kind: 'Ingress', metadata: { namespace: 'shop', name: 'web', labels: {}, annotations }, spec: {} };
}
const SECRETS = new Map<string, Secret>([['shop/users', { kind: 'Secret', metadata: { namespace: 'shop', name: 'users', labels: {}, annotations: {} }, type: 'Opaque', data: { auth: `u:${SHA}\n` } }]]);
const N = 'nginx.ingress.kubernetes.io/';

test('annotation combinations: what enforces, what refuses and with which code', () => {
  const cases: [Record<string, string>, string | undefined, string | undefined][] = [
    [{ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'users' }, undefined, undefined],
    [{ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'shop/users', [`${N}auth-realm`]: 'Staff' }, undefined, undefined],
    [{ [`${N}auth-type`]: 'basic' }, 'AnnotationProtectionInvalid', `${N}auth-type`],
    [{ [`${N}auth-type`]: 'Basic', [`${N}auth-secret`]: 'users' }, 'AnnotationProtectionInvalid', `${N}auth-type`],
    [{ [`${N}auth-type`]: 'digest', [`${N}auth-secret`]: 'users' }, 'AnnotationProtectionUnsupported', `${N}auth-type`],
    [{ [`${N}auth-secret`]: 'users' }, 'AnnotationProtectionInvalid', `${N}auth-secret`],
    [{ [`${N}auth-realm`]: 'Staff' }, 'AnnotationProtectionInvalid', `${N}auth-realm`],
    [{ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'Users_Upper' }, 'AnnotationProtectionInvalid', `${N}auth-secret`],
    [{ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'a/b/c' }, 'AnnotationProtectionInvalid', `${N}auth-secret`],
    [{ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'users', [`${N}auth-realm`]: 'x\ny' }, 'AnnotationProtectionInvalid', `${N}auth-realm`],
    [{ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'kube-system/users' }, 'BasicAuthSecretCrossNamespace', `${N}auth-secret`],
    [{ [`${N}auth-type`]: 'basic', [`${N}auth-secret`]: 'nope' }, 'BasicAuthSecretNotFound', `${N}auth-secret`],
  ];
  for (const [annotations, code, annotation] of cases) {
    const r = resolveBasicAuth(ingress(annotations), SECRETS, { allowCrossNamespaceSecrets: false });
    const label = JSON.stringify(annotations);
    if (code === undefined) {
      assert.equal(r.refused, undefined, label);
      assert.deepEqual(r.diagnostics, [], label);
      assert.equal(r.basicAuth?.secret, 'shop/users', label);
    } else {
      assert.deepEqual(r.refused, { code, annotation }, label);
      assert.equal(r.diagnostics.length, 1, label);
      assert.equal(r.diagnostics[0]!.severity, 'error', label);
      assert.equal(r.basicAuth, undefined, label);
    }
  }
  assert.equal(resolveBasicAuth(ingress({}), SECRETS, { allowCrossNamespaceSecrets: false }).basicAuth, undefined, 'no annotation: no authentication');
});
