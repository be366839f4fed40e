// A consistent view of every object the sources have delivered, keyed by 'ns/name'.

import type { EndpointSlice, Ingress, IngressClass, Secret, Service } from './model.ts';

export interface Snapshot {
  ingresses: ReadonlyMap<string, Ingress>;
  ingressClasses: ReadonlyMap<string, IngressClass>;
  services: ReadonlyMap<string, Service>;
  endpointSlices: ReadonlyMap<string, EndpointSlice>;
  secrets: ReadonlyMap<string, Secret>;
}

/** Facts about a TLS Secret's certificate and key, computed outside the pure core (needs crypto). */
export type CertificateInspection =
  | {
      ok: true;
      fingerprint: string;
      keyType: string;
      notAfter: string; // ISO 8601
      notBefore: string;
      dnsNames: string[]; // SAN dNSNames (and the CN when there are none), lower-case
    }
  | { ok: false; code: string; reason: string }; // reason never contains key material

export interface BuildOptions {
  controllerName: string;
  watchIngressWithoutClass: boolean;
  /** Controller-wide default backend 'ns/service:port' (from --default-backend). */
  defaultBackend?: { namespace: string; service: string; port: number | string };
  /** Injected so the core stays free of node:crypto; must be deterministic. */
  inspectCertificate: (certPem: string, keyPem: string) => CertificateInspection;
  /**
   * mtls: checks an auth-tls Secret's CA bundle and CRL with real crypto (injected, as inspectCertificate);
   * returns why they cannot be used, or undefined. Absent: only the PEM structure is checked.
   */
  inspectClientCa?: (caPem: string, crlPem: string | undefined) => string | undefined;
  /** --allow-cross-namespace-secrets: annotations may name a Secret in another namespace (default false). */
  allowCrossNamespaceSecrets?: boolean;
  /** --snippets: configuration-snippet and server-snippet read through the safe subset (default), or refused. */
  snippets?: 'refuse' | 'subset';
  /** --enable-ssl-passthrough: serve ssl-passthrough (default false: such an Ingress is refused). */
  enableSslPassthrough?: boolean;
  /** ISO time used for expiry warnings; passed in because the core reads no clock. */
  now: string;
}
