// A route's backend protocol (policy.backendProtocol, policy.backendTls) compiled once per table for
// the request path: which kind of upstream connection a request takes, and the TLS settings built
// into a SecureContext. A policy whose TLS settings the TLS library refuses (a CA or client
// certificate that does not parse, a cipher list with no known cipher) cannot be honoured: its
// routes are refused (503, ProxySslSecretInvalid), never served with weaker settings.
import { createHash } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { BackendProtocol, BackendTlsPolicy, RoutePolicy } from '../../core/policy.ts';

/**
 * http1: HTTP/1.1 in clear; https1: HTTP/1.1 over TLS; h2c: HTTP/2 in clear with prior knowledge
 * (GRPC, H2C); h2: HTTP/2 over TLS, ALPN h2 required (GRPCS).
 */
export type UpstreamKind = 'http1' | 'https1' | 'h2c' | 'h2';

export interface CompiledBackendTls {
  /** Identifies these settings in pool keys: a hash of the policy's TLS settings. */
  readonly id: string;
  readonly context: SecureContext;
  /** proxy-ssl-name; undefined: the request's Host is the name. */
  readonly name: string | undefined;
  readonly sni: boolean;
  /** proxy-ssl-verify: on, with its depth; undefined: the certificate is not checked. */
  readonly verifyDepth: number | undefined;
}

export interface CompiledUpstream {
  /** The kind for requests that came over plain HTTP, and over TLS (they differ for AUTO_HTTP only). */
  readonly plain: UpstreamKind;
  readonly overTls: UpstreamKind;
  readonly tls: CompiledBackendTls | undefined;
}

export const HTTP1_UPSTREAM: CompiledUpstream = Object.freeze({ plain: 'http1', overTls: 'http1', tls: undefined });

const KINDS: Record<BackendProtocol, readonly [UpstreamKind, UpstreamKind]> = {
  HTTP: ['http1', 'http1'],
  HTTPS: ['https1', 'https1'],
  AUTO_HTTP: ['http1', 'https1'],
  GRPC: ['h2c', 'h2c'],
  H2C: ['h2c', 'h2c'],
  GRPCS: ['h2', 'h2'],
};

/** Secure contexts by settings hash, so a table swap reuses them (and the pools keyed by their id). */
const contexts = new Map<string, SecureContext>();
const MAX_CONTEXTS = 1024;

export function compileUpstream(policy: RoutePolicy): CompiledUpstream | { error: string } {
  const protocol = policy.backendProtocol ?? 'HTTP';
  if (protocol === 'HTTP') return HTTP1_UPSTREAM;
  const [plain, overTls] = KINDS[protocol];
  const usesTls = plain === 'https1' || plain === 'h2' || overTls === 'https1' || overTls === 'h2';
  if (!usesTls) return { plain, overTls, tls: undefined };
  const settings: BackendTlsPolicy = policy.backendTls ?? { sni: false };
  const id = createHash('sha256').update(JSON.stringify(settings)).digest('base64url').slice(0, 22);
  let context = contexts.get(id);
  if (context === undefined) {
    try {
      context = createSecureContext({
        ...(settings.verify !== undefined ? { ca: settings.verify.caPem } : {}),
        ...(settings.clientCertificate !== undefined ? { cert: settings.clientCertificate.certPem, key: settings.clientCertificate.keyPem } : {}),
        ...(settings.minVersion !== undefined ? { minVersion: settings.minVersion } : {}),
        ...(settings.maxVersion !== undefined ? { maxVersion: settings.maxVersion } : {}),
        ...(settings.ciphers !== undefined ? { ciphers: settings.ciphers } : {}),
      });
    } catch {
      // OpenSSL's message may quote the key material: never passed on.
      return { error: 'the TLS settings to the backend (ca.crt, client certificate or proxy-ssl-ciphers) are refused by the TLS library' };
    }
    if (contexts.size >= MAX_CONTEXTS) contexts.delete(contexts.keys().next().value!);
    contexts.set(id, context);
  }
  const tls: CompiledBackendTls = { id, context, name: settings.name, sni: settings.sni, verifyDepth: settings.verify?.depth };
  return { plain, overTls, tls };
}

/** The server name a request's TLS connection uses (SNI and verification), or undefined when none is needed. */
export function upstreamName(tls: CompiledBackendTls, host: string): string | undefined {
  if (!tls.sni && tls.verifyDepth === undefined) return undefined;
  return tls.name ?? host;
}
