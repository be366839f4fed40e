// SSL passthrough (ingress-nginx `ssl-passthrough: "true"`, served only with --enable-ssl-passthrough
// as in ingress-nginx): the TLS connections whose SNI names a host of such an Ingress are piped
// unchanged to the backend of that host's `/` path (ingress-nginx uses the same backend). Runs on the
// assembled table, because which Ingress owns a host's `/` route is decided by the merge.
//
// Fail closed, never weaker than asked:
// - without --enable-ssl-passthrough the Ingress is refused (503), never served terminated
//   (ingress-nginx would ignore the annotation and terminate; a tenant asking for end-to-end TLS
//   must not get TLS ended at the controller);
// - a value that is not a Go boolean refuses the Ingress;
// - passthrough makes every HTTP-level annotation meaningless, so with a protection annotation
//   (authentication, client certificates, source ranges, snippets...) the Ingress is refused and
//   its passthrough hosts are listed refused: their connections are closed;
// - a host whose `/` path is missing, broken or owned by another Ingress is listed refused too.

import { ANNOTATIONS, GATEHOUSE_PREFIX, NGINX_ANNOTATIONS, NGINX_PREFIX } from './annotations/annotation-schema.ts';
import { matchProtection } from './annotations/protection-annotations.ts';
import { BASIC_AUTH_KEYS } from './annotations/resolve-basic-auth.ts';
import { makeDiagnostic, type DiagnosticCode } from './diagnostic-codes.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { Ingress } from './model.ts';
import { objectKey } from './model.ts';
import { objectRef } from './object-ref.ts';
import { quoteValue } from './quote-value.ts';
import type { PassthroughHost, RouteTable } from './route-table.ts';

export const SSL_PASSTHROUGH_ANNOTATION = `${NGINX_PREFIX}ssl-passthrough`;

/** Go's strconv.ParseBool, which ingress-nginx uses for boolean annotations. */
const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

const MAPPED_PROTECTIONS = new Set([
  ...NGINX_ANNOTATIONS.filter((m) => m.protection === true).map((m) => NGINX_PREFIX + m.name),
  ...ANNOTATIONS.filter((a) => a.protection === true).map((a) => GATEHOUSE_PREFIX + a.name),
]);

export interface PassthroughResult {
  passthrough: PassthroughHost[];
  diagnostics: Diagnostic[];
}

/**
 * Adds `table.passthrough` (only when some Ingress asks) and refuses the policies of Ingresses whose
 * passthrough cannot be served as asked. Mutates `table`, which the caller has just built.
 */
export function collectPassthrough(ingresses: readonly Ingress[], table: RouteTable, enabled: boolean): PassthroughResult {
  const diagnostics: Diagnostic[] = [];
  const entries = new Map<string, PassthroughHost>();
  for (const ingress of ingresses) {
    const annotations = ingress.metadata.annotations;
    if (!Object.hasOwn(annotations, SSL_PASSTHROUGH_ANNOTATION)) continue;
    const value = annotations[SSL_PASSTHROUGH_ANNOTATION]!;
    const id = objectKey(ingress.metadata);
    const object = objectRef(ingress);
    const field = `metadata.annotations["${SSL_PASSTHROUGH_ANNOTATION}"]`;
    const policy = table.policies[id];
    const refuse = (code: DiagnosticCode, message: string): string => {
      diagnostics.push(makeDiagnostic(code, object, field, message));
      if (policy !== undefined && policy.refused === undefined) policy.refused = { code, annotation: SSL_PASSTHROUGH_ANNOTATION };
      return code;
    };
    if (GO_FALSE.has(value)) continue;
    if (!GO_TRUE.has(value)) {
      refuse('AnnotationProtectionInvalid', `${quoteValue(SSL_PASSTHROUGH_ANNOTATION)} is ${quoteValue(value)}, not true or false; every route of this Ingress answers 503 until it is corrected`);
      continue;
    }
    if (!enabled) {
      refuse('SslPassthroughDisabled', `${quoteValue(SSL_PASSTHROUGH_ANNOTATION)} asks for end-to-end TLS to the backend, but Gatehouse runs without --enable-ssl-passthrough; every route of this Ingress answers 503 rather than end TLS here`);
      continue;
    }
    const protections = Object.keys(annotations)
      .filter((key) => key !== SSL_PASSTHROUGH_ANNOTATION && asksForProtection(key, annotations[key]!))
      .sort();
    let refusedCode: string | undefined;
    if (protections.length > 0) {
      refusedCode = refuse(
        'SslPassthroughWithProtection',
        `${quoteValue(SSL_PASSTHROUGH_ANNOTATION)} pipes TLS connections past every HTTP-level annotation, so ${protections.map(quoteValue).join(', ')} could not be enforced; its TLS connections are closed and its routes answer 503`,
      );
    } else if (policy?.refused !== undefined) {
      // Another annotation already refuses the Ingress: its passthrough hosts are closed too.
      refusedCode = policy.refused.code;
    }
    (ingress.spec.rules ?? []).forEach((rule, r) => {
      const ruleField = `spec.rules[${r}].host`;
      if (rule.host === undefined || rule.host === '') {
        diagnostics.push(makeDiagnostic('SslPassthroughUnroutable', object, ruleField, `a rule without a host cannot be passed through (connections are matched by their SNI server name); it is served as written over plain HTTP only`));
        return;
      }
      const host = rule.host.toLowerCase();
      if (entries.has(host)) return; // another rule of the same Ingress, or an older Ingress
      const vhost = table.virtualHosts.find((v) => v.host === host);
      const root = vhost?.routes.find((route) => route.path === '/' && route.match === 'Prefix');
      let entry: PassthroughHost;
      if (root === undefined) {
        const code = refusedCode ?? 'SslPassthroughUnroutable';
        if (refusedCode === undefined) diagnostics.push(makeDiagnostic('SslPassthroughUnroutable', object, ruleField, `host "${host}" has no "/" path (Prefix or ImplementationSpecific), whose backend passthrough uses; its TLS connections are closed`));
        entry = { host, ingress: id, backend: '', refused: code };
      } else if (root.ingress !== id) {
        const code = refusedCode ?? 'SslPassthroughUnroutable';
        if (refusedCode === undefined) diagnostics.push(makeDiagnostic('SslPassthroughUnroutable', object, ruleField, `the "/" path of host "${host}" belongs to Ingress ${root.ingress}, so its backend is not this Ingress's; its TLS connections are closed`));
        entry = { host, ingress: id, backend: root.backend, refused: code };
      } else {
        entry = { host, ingress: id, backend: root.backend };
        const code = refusedCode ?? root.refused;
        if (code !== undefined) entry.refused = code;
      }
      entries.set(host, entry);
    });
  }
  const passthrough = [...entries.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  if (passthrough.length > 0) table.passthrough = passthrough;
  return { passthrough, diagnostics };
}

function asksForProtection(key: string, value: string): boolean {
  if (BASIC_AUTH_KEYS.has(key) || MAPPED_PROTECTIONS.has(key)) return true;
  const match = matchProtection(key, value);
  return match !== undefined && match.asks && match.rule !== undefined;
}
