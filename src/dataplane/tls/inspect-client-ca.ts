// The builder's check of an auth-tls Secret (BuildOptions.inspectClientCa): every PEM block of
// ca.crt must be a certificate that parses and is a CA, and OpenSSL must accept the bundle and the
// CRL as a context's `ca` / `crl`. Reasons are fixed sentences: OpenSSL's messages may quote input.
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { pemBlocks } from './pem-blocks.ts';

export function inspectClientCa(caPem: string, crlPem: string | undefined): string | undefined {
  const blocks = pemBlocks(caPem);
  if (blocks.length === 0) return '"ca.crt" holds no PEM certificate';
  for (const [i, block] of blocks.entries()) {
    if (block.label !== 'CERTIFICATE') return `"ca.crt" block ${i + 1} is not a certificate`;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block.text);
    } catch {
      return `"ca.crt" certificate ${i + 1} does not parse`;
    }
    if (!cert.ca) return `"ca.crt" certificate ${i + 1} is not a CA certificate`;
  }
  if (crlPem !== undefined) {
    const crls = pemBlocks(crlPem);
    if (crls.length === 0 || crls.some((b) => b.label !== 'X509 CRL')) return '"ca.crl" holds something other than PEM CRLs';
  }
  try {
    createSecureContext({ ca: caPem, ...(crlPem === undefined ? {} : { crl: crlPem }) });
  } catch {
    return crlPem === undefined ? '"ca.crt" is refused by OpenSSL' : '"ca.crt" or "ca.crl" is refused by OpenSSL';
  }
  return undefined;
}
