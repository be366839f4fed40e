// ssl-client-subject-dn / -issuer-dn are nginx's $ssl_client_s_dn / $ssl_client_i_dn: OpenSSL's
// RFC 2253 printing. Certificates with awkward subjects are made by openssl, and the header value
// Gatehouse computes from Node's X509Certificate is compared with `openssl x509 -nameopt RFC2253`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { rfc2253 } from '../../src/dataplane/steps/client-certificate.ts';

const SUBJECTS = [
  '/CN=alice',
  '/C=DE/O=Acme, Inc./OU=R&D/CN=alice',
  '/O=a+b "quoted" <x>;y\\=z/CN= leading and trailing /emailAddress=a@example.com',
  '/O=Zoë Ltd/CN=Ærøskøbing',
  '/O=Multi/OU=Team+CN=bob',
  '/CN=#hash',
];

test('the DN headers equal openssl x509 -nameopt RFC2253 (as nginx prints them)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-dn-'));
  try {
    execFileSync('openssl', ['genrsa', '-out', join(dir, 'k.pem'), '2048'], { stdio: 'ignore' });
    for (const [i, subject] of SUBJECTS.entries()) {
      const cert = join(dir, `c${i}.pem`);
      execFileSync('openssl', ['req', '-new', '-x509', '-utf8', '-multivalue-rdn', '-key', join(dir, 'k.pem'), '-out', cert, '-days', '1', '-subj', subject], { stdio: 'ignore' });
      const expected = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-subject', '-nameopt', 'RFC2253'], { encoding: 'utf8' }).trim().replace(/^subject=/, '');
      const x509 = new X509Certificate(readFileSync(cert));
      assert.equal(rfc2253(x509.subject), expected, subject);
      assert.equal(rfc2253(x509.issuer), expected, `${subject} (issuer)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
