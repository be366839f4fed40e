// Certificates for tests, made per run with the openssl command line exactly as an operator would
// (genrsa / ecparam, req, and a small `openssl ca` for leaves, which is the only way OpenSSL 3.0
// sets explicit validity dates). Everything lives in a temp dir removed at exit: no private key is
// ever committed.

import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type TestKeyType = 'rsa' | 'ec';

export interface TestPem {
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
}

export interface TestCa extends TestPem {
  dir: string;
  name: string;
  /** Removes the CA's temp dir (also done at process exit). */
  dispose(): void;
}

export interface LeafOptions {
  /** SAN dNSNames; may be empty to get a certificate with only a CN. */
  names: string[];
  keyType?: TestKeyType;
  /** Validity from one hour ago; default 30. */
  days?: number;
  /** notBefore 10 days ago, notAfter 1 day ago. */
  expired?: boolean;
  /** notBefore tomorrow. */
  notYetValid?: boolean;
  /** Subject CN; default names[0] or 'gatehouse-test'. */
  commonName?: string;
  /** The extended key usage: serverAuth (default), or clientAuth for a client certificate. */
  usage?: 'serverAuth' | 'clientAuth';
  /** A client certificate (extendedKeyUsage clientAuth) instead of a server one. */
  client?: boolean;
  /** The whole subject in openssl's '/O=Acme/CN=alice' form (overrides commonName). */
  subject?: string;
}

export interface TestLeaf extends TestPem {
  names: string[];
  keyType: TestKeyType;
  /** Leaf followed by the CA certificate, as a Secret's tls.crt usually holds it. */
  chainPem: string;
  /** sha256 of the leaf DER, lower-case hex without colons. */
  fingerprint: string;
  serialNumber: string;
}

const dirs = new Set<string>();
let exitHookInstalled = false;

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function genKey(keyType: TestKeyType, path: string, cwd: string): void {
  if (keyType === 'rsa') openssl(['genrsa', '-out', path, '2048'], cwd);
  // ecparam writes the SEC1 "EC PRIVATE KEY" form; genrsa writes PKCS#8: both forms get exercised.
  else openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path], cwd);
}

/** A test certificate authority (self-signed, CA:TRUE) in its own temp dir. */
export function makeCa(options: { name?: string; keyType?: TestKeyType } = {}): TestCa {
  const dir = tempDir('gatehouse-ca-');
  const name = options.name ?? 'Gatehouse Test CA';
  const keyPath = join(dir, 'ca.key');
  const certPath = join(dir, 'ca.pem');
  genKey(options.keyType ?? 'rsa', keyPath, dir);
  openssl(['req', '-new', '-x509', '-key', keyPath, '-out', certPath, '-days', '30', '-subj', `/CN=${name}`], dir);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = ca_default',
      '[ca_default]',
      'database = index.txt',
      'new_certs_dir = .',
      'serial = serial',
      'default_md = sha256',
      'policy = policy_any',
      'unique_subject = no',
      'default_crl_days = 7',
      '[policy_any]',
      'commonName = supplied',
      'organizationName = optional',
      '',
    ].join('\n'),
  );
  return {
    dir,
    name,
    certPath,
    keyPath,
    certPem: readFileSync(certPath, 'utf8'),
    keyPem: readFileSync(keyPath, 'utf8'),
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
}

let leafCounter = 0;

/** A server certificate signed by `ca`, with the given names, key type and validity. */
export function makeLeaf(ca: TestCa, options: LeafOptions): TestLeaf {
  const keyType = options.keyType ?? 'rsa';
  const id = `leaf${++leafCounter}`;
  const keyPath = join(ca.dir, `${id}.key`);
  const csrPath = join(ca.dir, `${id}.csr`);
  const certPath = join(ca.dir, `${id}.pem`);
  const extPath = join(ca.dir, `${id}.ext`);
  genKey(keyType, keyPath, ca.dir);
  const cn = options.commonName ?? options.names[0] ?? 'gatehouse-test';
  openssl(['req', '-new', '-key', keyPath, '-out', csrPath, '-subj', options.subject ?? `/CN=${cn}`], ca.dir);
  const ext = ['basicConstraints = CA:FALSE', 'keyUsage = digitalSignature, keyEncipherment', `extendedKeyUsage = ${options.client === true ? 'clientAuth' : (options.usage ?? 'serverAuth')}`];
  if (options.names.length > 0) ext.push(`subjectAltName = ${options.names.map((n) => `DNS:${n}`).join(', ')}`);
  writeFileSync(extPath, ext.join('\n') + '\n');

  const hour = 3_600_000;
  const day = 24 * hour;
  const now = Date.now();
  let start = now - hour;
  let end = now + (options.days ?? 30) * day;
  if (options.expired === true) {
    start = now - 10 * day;
    end = now - day;
  } else if (options.notYetValid === true) {
    start = now + day;
    end = now + 10 * day;
  }
  openssl(
    ['ca', '-batch', '-config', 'ca.cnf', '-cert', ca.certPath, '-keyfile', ca.keyPath, '-in', csrPath, '-out', certPath,
      '-startdate', opensslDate(start), '-enddate', opensslDate(end), '-extfile', extPath, '-notext', ...(options.subject === undefined ? [] : ['-preserveDN'])],
    ca.dir,
  );
  const certPem = readFileSync(certPath, 'utf8');
  const x509 = new X509Certificate(certPem);
  return {
    names: options.names,
    keyType,
    certPath,
    keyPath,
    certPem,
    keyPem: readFileSync(keyPath, 'utf8'),
    chainPem: certPem + ca.certPem,
    fingerprint: x509.fingerprint256.replaceAll(':', '').toLowerCase(),
    serialNumber: x509.serialNumber,
  };
}

/** The tutorial's way: `openssl genrsa` + `openssl req -new -x509 -subj /CN=host` (self-signed, no SAN). */
export function makeSelfSigned(ca: TestCa, commonName: string): TestPem & { fingerprint: string } {
  const id = `self${++leafCounter}`;
  const keyPath = join(ca.dir, `${id}.key`);
  const certPath = join(ca.dir, `${id}.pem`);
  openssl(['genrsa', '-out', keyPath, '2048'], ca.dir);
  openssl(['req', '-new', '-x509', '-key', keyPath, '-out', certPath, '-days', '360', '-subj', `/CN=${commonName}`], ca.dir);
  const certPem = readFileSync(certPath, 'utf8');
  return {
    certPath,
    keyPath,
    certPem,
    keyPem: readFileSync(keyPath, 'utf8'),
    fingerprint: new X509Certificate(certPem).fingerprint256.replaceAll(':', '').toLowerCase(),
  };
}

function opensslDate(ms: number): string {
  // GeneralizedTime, which `openssl ca -startdate/-enddate` accepts: YYYYMMDDHHMMSSZ.
  return new Date(ms).toISOString().replace(/[-:T]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** An intermediate CA (CA:TRUE) signed by `parent`, usable with makeLeaf; `certPem` is its certificate alone. */
export function makeIntermediateCa(parent: TestCa, name: string): TestCa {
  const ca = makeCa({ name });
  const csrPath = join(ca.dir, 'ca.csr');
  const extPath = join(ca.dir, 'ca.ext');
  openssl(['req', '-new', '-key', ca.keyPath, '-out', csrPath, '-subj', `/CN=${name}`], ca.dir);
  writeFileSync(extPath, 'basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n');
  const signed = join(ca.dir, 'ca-signed.pem');
  openssl(['x509', '-req', '-in', csrPath, '-CA', parent.certPath, '-CAkey', parent.keyPath, '-CAcreateserial', '-out', signed, '-days', '30', '-extfile', extPath], ca.dir);
  writeFileSync(ca.certPath, readFileSync(signed));
  return { ...ca, certPem: readFileSync(ca.certPath, 'utf8') };
}

/** Revokes `leaf` (made by makeLeaf with `ca`) and returns the CA's new PEM CRL (`openssl ca -gencrl`). */
export function revokeAndMakeCrl(ca: TestCa, leaf?: TestPem): string {
  if (leaf !== undefined) openssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', ca.certPath, '-keyfile', ca.keyPath, '-revoke', leaf.certPath], ca.dir);
  const crlPath = join(ca.dir, `crl${++leafCounter}.pem`);
  openssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', ca.certPath, '-keyfile', ca.keyPath, '-gencrl', '-out', crlPath], ca.dir);
  return readFileSync(crlPath, 'utf8');
}
