// Protocol settings shared by the listener's own context and every per-certificate context.

import type { SecureVersion } from 'node:tls';

export const TLS_MIN_VERSION: SecureVersion = 'TLSv1.2';

/**
 * Mozilla "intermediate" (guidelines v5.7) for TLS 1.2, ECDHE suites only: the three DHE suites
 * of that list need finite-field parameters Gatehouse does not configure, and every client the
 * intermediate profile targets speaks ECDHE. TLS 1.3 suites are listed so the string is complete.
 */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** The options every SecureContext gets (certificate and key are added per context). */
export const BASE_CONTEXT_OPTIONS = Object.freeze({
  minVersion: TLS_MIN_VERSION,
  ciphers: TLS_CIPHERS,
  // Mozilla intermediate: let the client pick (it knows whether it has AES hardware).
  honorCipherOrder: false,
});
