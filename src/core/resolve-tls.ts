// TLS, builder side (issue 3). Each spec.tls entry of an admitted Ingress claims server names
// for its Secret. Broken Secrets are reported and claim names without a certificate (those hosts
// get the default certificate). Among valid claims for one name, the older Ingress — or, within
// one Ingress, the earlier entry — wins; the loser gets TLSHostConflict.

import type { Diagnostic, ObjectRef } from './diagnostics.ts';
import { checkCertificate } from './check-certificate.ts';
import { collectTlsHosts, type TlsHost } from './collect-tls-hosts.ts';
import { compareStrings } from './compare-strings.ts';
import { makeDiagnostic } from './diagnostic-codes.ts';
import { inspectTlsSecret, type TlsSecretInspection } from './inspect-tls-secret.ts';
import type { IngressTLS, Secret } from './model.ts';
import { objectKey } from './model.ts';
import { objectRef } from './object-ref.ts';
import type { IngressWithHosts } from './resolve-default-backends.ts';
import type { CertificateEntry, RouteTable } from './route-table.ts';
import type { BuildOptions } from './snapshot.ts';

export interface TlsClaim {
  host: string;
  ingress: string;
  /** Certificate id, absent when the Secret is broken or not named. */
  certificate?: string;
  owner: ObjectRef;
  field: string;
}

export interface ResolvedTls {
  certificates: Map<string, CertificateEntry>;
  sni: RouteTable['sni'];
  /** Every claim, in precedence order (oldest Ingress, then entry order). */
  claims: TlsClaim[];
  diagnostics: Diagnostic[];
}

type TlsOptions = Pick<BuildOptions, 'inspectCertificate' | 'now'>;

/** `ingresses` oldest first. */
export function resolveTls(ingresses: readonly IngressWithHosts[], secrets: ReadonlyMap<string, Secret>, options: TlsOptions): ResolvedTls {
  const inspected = new Map<string, TlsSecretInspection>();
  const claims: TlsClaim[] = [];
  const diagnostics: Diagnostic[] = [];
  const valid = new Map<string, CertificateEntry>();
  for (const { ingress, hosts } of ingresses) {
    (ingress.spec.tls ?? []).forEach((entry, i) => {
      const found = collectTlsHosts(ingress, i, entry, hosts);
      diagnostics.push(...found.diagnostics);
      if (found.hosts.length === 0) return;
      const owner = objectRef(ingress);
      const use: EntryUse = { entry, field: `spec.tls[${i}].secretName`, hosts: found.hosts, owner };
      const certificate = certificateFor(use, { secrets, options, inspected, diagnostics });
      if (certificate) valid.set(certificate.id, certificate);
      for (const { host, field } of found.hosts) {
        const claim: TlsClaim = { host, ingress: objectKey(ingress.metadata), owner, field };
        if (certificate) claim.certificate = certificate.id;
        claims.push(claim);
      }
    });
  }
  const sni = electSni(claims, diagnostics);
  const certificates = new Map<string, CertificateEntry>();
  for (const { certificate } of sni) certificates.set(certificate, valid.get(certificate) as CertificateEntry);
  return { certificates, sni, claims, diagnostics };
}

interface SecretScope {
  secrets: ReadonlyMap<string, Secret>;
  options: TlsOptions;
  /** One inspection per Secret however many entries name it. */
  inspected: Map<string, TlsSecretInspection>;
  diagnostics: Diagnostic[];
}

interface EntryUse {
  entry: IngressTLS;
  /** The entry's secretName field. */
  field: string;
  hosts: readonly TlsHost[];
  owner: ObjectRef;
}

function certificateFor({ entry, field, hosts, owner }: EntryUse, scope: SecretScope): CertificateEntry | undefined {
  const namespace = owner.namespace;
  const secretName = entry.secretName ?? '';
  if (secretName === '') {
    const message = `no secretName: ${hosts.map((h) => h.host).join(', ')} will be served with the default certificate`;
    scope.diagnostics.push(makeDiagnostic('TLSSecretNameMissing', owner, field, message));
    return undefined;
  }
  const id = `${namespace}/${secretName}`;
  let inspection = scope.inspected.get(id);
  if (!inspection) {
    inspection = inspectTlsSecret(namespace, secretName, scope.secrets, scope.options.inspectCertificate);
    scope.inspected.set(id, inspection);
  }
  if (!inspection.ok) {
    scope.diagnostics.push(makeDiagnostic(inspection.code, owner, field, `${inspection.message}; its hosts get the default certificate`));
    return undefined;
  }
  const use = { certificate: inspection.certificate, notBefore: inspection.notBefore, hosts, owner, field, now: scope.options.now };
  scope.diagnostics.push(...checkCertificate(use));
  return inspection.certificate;
}

function electSni(claims: readonly TlsClaim[], diagnostics: Diagnostic[]): RouteTable['sni'] {
  const winners = new Map<string, TlsClaim>();
  for (const claim of claims) {
    if (!claim.certificate) continue;
    const winner = winners.get(claim.host);
    if (!winner) winners.set(claim.host, claim);
    else if (winner.certificate !== claim.certificate) diagnostics.push(conflict(claim, winner));
  }
  return [...winners.values()]
    .map((claim) => ({ host: claim.host, certificate: claim.certificate as string, ingress: claim.ingress }))
    .sort((a, b) => compareStrings(a.host, b.host));
}

function conflict(loser: TlsClaim, winner: TlsClaim): Diagnostic {
  const by = winner.ingress === loser.ingress ? 'an earlier tls entry of this Ingress' : `the older Ingress ${winner.ingress}`;
  const message = `${loser.host} is already served with certificate ${winner.certificate ?? ''} by ${by}; ${loser.certificate ?? ''} is not used for it`;
  return makeDiagnostic('TLSHostConflict', loser.owner, loser.field, message);
}
