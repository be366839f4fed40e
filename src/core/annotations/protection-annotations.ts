// The fail-closed catalogue (docs/security.md, "Fail closed"): annotations, of ingress-nginx and of
// other common controllers, that ask for a protection — authentication, client certificates, source
// ranges, rate limits, a WAF, snippets (which may do any of these), TLS to the backend. Gatehouse is
// never weaker than what the Ingress asks for: such an annotation that Gatehouse does not enforce
// refuses the whole Ingress (its routes answer 503) with an error diagnostic naming it and why.
// Any other annotation under one of these prefixes is a warning that Gatehouse does not read it.
//
// Names were taken from each controller's own annotation reference. A rule's `name` is matched
// exactly, or as a prefix when it ends with '*'; the first matching rule of a prefix wins, so the
// specific rules come before the patterns.

import { NGINX_PREFIX } from './annotation-schema.ts';

export interface ProtectionRule {
  /** The annotation name after the prefix; a trailing '*' matches every name starting with the rest. */
  name: string;
  /** What it protects, for the diagnostic and the docs table ('basic authentication'). */
  protects: string;
  /**
   * Values that ask for nothing (the feature switched off): such an annotation is only a warning.
   * Compared exactly. Absent: every value asks for the protection.
   */
  off?: readonly string[];
  /** The opposite: only these values ask for the protection (compared case-insensitively). */
  on?: readonly string[];
}

export interface ControllerAnnotations {
  /** The annotation prefix, with its trailing '/'. */
  prefix: string;
  /** Who reads these annotations, for messages and docs. */
  controller: string;
  rules: readonly ProtectionRule[];
}

/** Go's strconv.ParseBool false words: the toggles below are off with these. */
const OFF_BOOL = ['false', 'False', 'FALSE', '0', 'f', 'F'];
const ON_BOOL = ['true', '1', 't'];

const NGINX_RULES: readonly ProtectionRule[] = [
  { name: 'auth-tls-verify-client', protects: 'client certificate authentication (mTLS)', off: ['off'] },
  { name: 'auth-tls-pass-certificate-to-upstream', protects: 'client certificate authentication (mTLS)', off: OFF_BOOL },
  { name: 'auth-tls-*', protects: 'client certificate authentication (mTLS)' },
  { name: 'auth-type', protects: 'basic or digest authentication' },
  { name: 'auth-secret', protects: 'basic or digest authentication' },
  { name: 'auth-secret-type', protects: 'basic or digest authentication' },
  { name: 'auth-realm', protects: 'basic or digest authentication' },
  { name: 'auth-snippet', protects: 'external authentication (an nginx snippet)' },
  { name: 'auth-*', protects: 'external authentication' },
  { name: 'enable-global-auth', protects: 'external authentication (the global auth-url)', off: OFF_BOOL },
  { name: 'configuration-snippet', protects: 'arbitrary nginx configuration (a snippet may do access control)' },
  { name: 'server-snippet', protects: 'arbitrary nginx configuration (a snippet may do access control)' },
  { name: 'stream-snippet', protects: 'arbitrary nginx configuration (a snippet may do access control)' },
  { name: 'modsecurity-snippet', protects: 'the ModSecurity web application firewall' },
  { name: 'enable-modsecurity', protects: 'the ModSecurity web application firewall', off: OFF_BOOL },
  { name: 'enable-owasp-core-rules', protects: 'the ModSecurity web application firewall (OWASP core rules)', off: OFF_BOOL },
  { name: 'modsecurity-*', protects: 'the ModSecurity web application firewall' },
  // limit-rps, limit-rpm, limit-connections, limit-burst-multiplier and limit-whitelist are enforced
  // (annotation-schema.ts maps them, so they never reach these rules under this prefix); the
  // bandwidth limits and any other limit-* name still refuse.
  { name: 'limit-rate', protects: 'response bandwidth limits' },
  { name: 'limit-rate-after', protects: 'response bandwidth limits' },
  { name: 'limit-*', protects: 'rate and connection limits' },
  { name: 'global-rate-limit*', protects: 'rate limits' },
  { name: 'satisfy', protects: 'the combination of access controls (satisfy any)', off: ['all'] },
  { name: 'ssl-passthrough', protects: 'end-to-end TLS to the backend (SSL passthrough)', off: OFF_BOOL },
];

/**
 * Traefik 1.x, HAProxy and old ingress-nginx read these names under the legacy prefix. The backend
 * protocol and the source ranges are enforced under the nginx.ingress.kubernetes.io/ and gatehouse.dev/ prefixes only
 * (annotation-schema.ts): under this one, whose controllers differ in details, they refuse.
 */
const LEGACY_EXTRA_RULES: readonly ProtectionRule[] = [
  // Enforced under nginx.ingress.kubernetes.io/ and gatehouse.dev/ (resolve-backend-protocol.ts), not here.
  { name: 'backend-protocol', protects: 'TLS to the backend', on: ['HTTPS', 'GRPCS', 'AUTO_HTTP'] },
  { name: 'secure-backends', protects: 'TLS to the backend', on: ON_BOOL },
  { name: 'proxy-ssl-verify', protects: 'verification of the backend certificate', on: ['on'] },
  { name: 'proxy-ssl-secret', protects: 'verification of the backend certificate and a client certificate to it' },
  { name: 'whitelist-source-range', protects: 'client source ranges' },
  { name: 'allowlist-source-range', protects: 'client source ranges' },
  { name: 'denylist-source-range', protects: 'client source ranges' },
  { name: 'whitelist', protects: 'client source ranges' },
  { name: 'allow-list', protects: 'client source ranges' },
  { name: 'blacklist', protects: 'client source ranges' },
  { name: 'deny-list', protects: 'client source ranges' },
  { name: 'rate-limit*', protects: 'rate limits' },
  { name: 'backend-config-snippet', protects: 'arbitrary HAProxy configuration (a snippet may do access control)' },
  { name: 'frontend-config-snippet', protects: 'arbitrary HAProxy configuration (a snippet may do access control)' },
  { name: 'client-ca', protects: 'client certificate authentication (mTLS)' },
  { name: 'server-ssl', protects: 'TLS to the backend', on: ON_BOOL },
  { name: 'server-ca', protects: 'verification of the backend certificate' },
  { name: 'server-crt', protects: 'a client certificate to the backend' },
  { name: 'protocol', protects: 'TLS to the backend', on: ['https', 'h2'] },
  { name: 'pass-client-tls-cert', protects: 'client certificate authentication (mTLS)' },
];

const HAPROXY_RULES: readonly ProtectionRule[] = [
  { name: 'auth-type', protects: 'basic authentication' },
  { name: 'auth-secret', protects: 'basic authentication' },
  { name: 'auth-realm', protects: 'basic authentication' },
  { name: 'allow-list', protects: 'client source ranges' },
  { name: 'whitelist', protects: 'client source ranges' },
  { name: 'deny-list', protects: 'client source ranges' },
  { name: 'blacklist', protects: 'client source ranges' },
  { name: 'rate-limit*', protects: 'rate limits' },
  { name: 'backend-config-snippet', protects: 'arbitrary HAProxy configuration (a snippet may do access control)' },
  { name: 'frontend-config-snippet', protects: 'arbitrary HAProxy configuration (a snippet may do access control)' },
  { name: 'client-ca', protects: 'client certificate authentication (mTLS)' },
  { name: 'client-crt-optional', protects: 'client certificate authentication (mTLS)' },
  { name: 'ssl-passthrough', protects: 'end-to-end TLS to the backend (SSL passthrough)', off: OFF_BOOL },
  { name: 'server-ssl', protects: 'TLS to the backend', on: ON_BOOL },
  { name: 'server-ca', protects: 'verification of the backend certificate' },
  { name: 'server-crt', protects: 'a client certificate to the backend' },
];

const F5_NGINX_RULES: readonly ProtectionRule[] = [
  { name: 'basic-auth-secret', protects: 'basic authentication' },
  { name: 'basic-auth-realm', protects: 'basic authentication' },
  { name: 'jwt-*', protects: 'JWT authentication' },
  { name: 'policies', protects: 'NGINX Policy resources (access control, JWT, OIDC, mTLS, rate limits, WAF)' },
  { name: 'server-snippets', protects: 'arbitrary nginx configuration (a snippet may do access control)' },
  { name: 'location-snippets', protects: 'arbitrary nginx configuration (a snippet may do access control)' },
  { name: 'ssl-services', protects: 'TLS to the backend' },
  { name: 'limit-req-*', protects: 'rate limits' },
];

const TRAEFIK_RULES: readonly ProtectionRule[] = [
  { name: 'router.middlewares', protects: 'Traefik middlewares (authentication, IP allow lists, rate limits...)' },
  { name: 'router.tls.options', protects: 'Traefik TLS options (client certificate authentication)' },
  { name: 'whitelist-source-range', protects: 'client source ranges' },
  { name: 'rate-limit', protects: 'rate limits' },
];

const ALB_RULES: readonly ProtectionRule[] = [
  { name: 'auth-type', protects: 'OIDC or Cognito authentication', off: ['none'] },
  { name: 'auth-*', protects: 'OIDC or Cognito authentication' },
  { name: 'inbound-cidrs', protects: 'client source ranges' },
  { name: 'security-groups', protects: 'the load balancer security groups (client source ranges)' },
  { name: 'wafv2-acl-arn', protects: 'the AWS WAF web application firewall' },
  { name: 'waf-acl-id', protects: 'the AWS WAF web application firewall' },
  { name: 'shield-advanced-protection', protects: 'AWS Shield Advanced', off: OFF_BOOL },
  { name: 'mutual-authentication', protects: 'client certificate authentication (mTLS)' },
  { name: 'backend-protocol', protects: 'TLS to the backend', on: ['HTTPS'] },
];

const AZURE_AGIC_RULES: readonly ProtectionRule[] = [
  { name: 'waf-policy-for-path', protects: 'the Azure web application firewall' },
  { name: 'appgw-ssl-profile', protects: 'an Application Gateway SSL profile (client certificate authentication)' },
  { name: 'appgw-trusted-root-certificate', protects: 'verification of the backend certificate' },
  { name: 'backend-protocol', protects: 'TLS to the backend', on: ['https'] },
];

/** Every prefix Gatehouse checks, ingress-nginx first. gatehouse.dev/ is handled by the schema. */
export const CONTROLLER_ANNOTATIONS: readonly ControllerAnnotations[] = [
  { prefix: NGINX_PREFIX, controller: 'ingress-nginx', rules: NGINX_RULES },
  { prefix: 'ingress.kubernetes.io/', controller: 'the legacy ingress.kubernetes.io/ prefix (old ingress-nginx, Traefik 1, HAProxy)', rules: [...NGINX_RULES, ...LEGACY_EXTRA_RULES] },
  { prefix: 'nginx.org/', controller: 'F5 NGINX Ingress Controller', rules: F5_NGINX_RULES },
  { prefix: 'nginx.com/', controller: 'F5 NGINX Ingress Controller (NGINX Plus)', rules: F5_NGINX_RULES },
  { prefix: 'appprotect.f5.com/', controller: 'F5 NGINX App Protect', rules: [{ name: 'app-protect-enable', protects: 'the NGINX App Protect web application firewall', off: OFF_BOOL }, { name: 'app-protect-*', protects: 'the NGINX App Protect web application firewall' }] },
  { prefix: 'appprotectdos.f5.com/', controller: 'F5 NGINX App Protect DoS', rules: [{ name: '*', protects: 'NGINX App Protect DoS mitigation' }] },
  { prefix: 'haproxy.org/', controller: 'HAProxy Kubernetes Ingress Controller', rules: HAPROXY_RULES },
  { prefix: 'haproxy.com/', controller: 'HAProxy Kubernetes Ingress Controller', rules: HAPROXY_RULES },
  { prefix: 'traefik.ingress.kubernetes.io/', controller: 'Traefik', rules: TRAEFIK_RULES },
  { prefix: 'alb.ingress.kubernetes.io/', controller: 'AWS Load Balancer Controller', rules: ALB_RULES },
  { prefix: 'appgw.ingress.kubernetes.io/', controller: 'Azure Application Gateway Ingress Controller', rules: AZURE_AGIC_RULES },
  { prefix: 'konghq.com/', controller: 'Kong Ingress Controller', rules: [{ name: 'plugins', protects: 'Kong plugins (authentication, ACLs, IP restriction, rate limits...)' }] },
];

export interface ProtectionMatch {
  controller: ControllerAnnotations;
  /** The rule the name matched, if any: undefined for an annotation that only tunes. */
  rule: ProtectionRule | undefined;
  /** The rule matched and this value asks for its protection. */
  asks: boolean;
}

/** Which controller's annotation `key` is, and whether its value asks for a protection. */
export function matchProtection(key: string, value: string): ProtectionMatch | undefined {
  const controller = CONTROLLER_ANNOTATIONS.find((c) => key.startsWith(c.prefix));
  if (controller === undefined) return undefined;
  const name = key.slice(controller.prefix.length);
  const rule = controller.rules.find((r) => (r.name.endsWith('*') ? name.startsWith(r.name.slice(0, -1)) : name === r.name));
  if (rule === undefined) return { controller, rule, asks: false };
  const asks = rule.on !== undefined ? rule.on.some((v) => v.toLowerCase() === value.toLowerCase()) : !(rule.off ?? []).includes(value);
  return { controller, rule, asks };
}
