// SecureContexts cached by certificate identity, so applying a new table only builds contexts for
// certificates that are new (a rotation builds one), and drops those no table uses any more.
//
// The key is the leaf fingerprint plus a hash of the whole chain and key PEM: the same leaf with a
// new intermediate or a re-encoded key is a different context, while an unchanged Secret in a
// rebuilt table is a cache hit. Only hashes are kept as keys, never PEM text.

import { createHash } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { SecureContext } from 'node:tls';
import { BASE_CONTEXT_OPTIONS } from './tls-settings.ts';

export interface CertificateMaterial {
  fingerprint: string;
  certPem: string;
  keyPem: string;
}

export type ContextResult = { ok: true; context: SecureContext; key: string } | { ok: false; key: string; code: string };

export interface SecureContextCache {
  /** The context for this certificate, built on first use. Never throws. */
  get(material: CertificateMaterial): ContextResult;
  /** Drops every context whose key is not in `keep`. */
  retain(keep: ReadonlySet<string>): void;
  readonly size: number;
  /** Contexts built since creation (a benchmark and test probe). */
  readonly built: number;
}

export function contextKey(material: CertificateMaterial): string {
  const h = createHash('sha256').update(material.certPem).update('\0').update(material.keyPem).digest('hex');
  return `${material.fingerprint}/${h.slice(0, 32)}`;
}

export function createSecureContextCache(): SecureContextCache {
  const contexts = new Map<string, ContextResult>();
  let built = 0;
  return {
    get(material) {
      const key = contextKey(material);
      const hit = contexts.get(key);
      if (hit !== undefined) return hit;
      let result: ContextResult;
      try {
        built++;
        result = { ok: true, key, context: createSecureContext({ ...BASE_CONTEXT_OPTIONS, cert: material.certPem, key: material.keyPem }) };
      } catch (error) {
        // Only the code: OpenSSL's message may quote the PEM it choked on.
        const code = (error as { code?: unknown }).code;
        result = { ok: false, key, code: typeof code === 'string' ? code : 'ERR_TLS_CONTEXT' };
      }
      contexts.set(key, result);
      return result;
    },
    retain(keep) {
      for (const key of contexts.keys()) if (!keep.has(key)) contexts.delete(key);
    },
    get size() {
      return contexts.size;
    },
    get built() {
      return built;
    },
  };
}
