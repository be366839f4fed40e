// Which Ingresses are ours. Filtering happens here, in the builder, not in the store, so that an
// IngressClass appearing later can bring an Ingress back. Ingresses of other controllers get a
// status intent (admitted: false) and nothing else: no diagnostics, no routes.

import { compareStrings } from './compare-strings.ts';
import type { Diagnostic } from './diagnostics.ts';
import { makeDiagnostic } from './diagnostic-codes.ts';
import { compareIngressAge } from './ingress-age.ts';
import { objectRef } from './object-ref.ts';
import type { Ingress, IngressClass } from './model.ts';
import { DEFAULT_CLASS_ANNOTATION, LEGACY_CLASS_ANNOTATION, objectKey } from './model.ts';
import type { IngressStatusIntent } from './route-table.ts';
import type { Snapshot } from './snapshot.ts';

export interface ClassOptions {
  controllerName: string;
  watchIngressWithoutClass: boolean;
}

export interface IngressSelection {
  /** Ours, oldest first (the order every conflict is settled in). */
  admitted: Ingress[];
  status: IngressStatusIntent[];
  diagnostics: Diagnostic[];
}

export function selectIngresses(snapshot: Pick<Snapshot, 'ingresses' | 'ingressClasses'>, options: ClassOptions): IngressSelection {
  const ourClasses = ourClassNames(snapshot.ingressClasses, options.controllerName);
  const classless = ourClasses.hasDefault || options.watchIngressWithoutClass;
  const admitted: Ingress[] = [];
  const status: IngressStatusIntent[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const ingress of snapshot.ingresses.values()) {
    const ours = isOurs(ingress, ourClasses.names, classless);
    status.push({ ingress: objectKey(ingress.metadata), admitted: ours });
    if (!ours) continue;
    admitted.push(ingress);
    const ignored = ignoredAnnotation(ingress);
    if (ignored) diagnostics.push(ignored);
  }
  admitted.sort(compareIngressAge);
  status.sort((a, b) => compareStrings(a.ingress, b.ingress));
  return { admitted, status, diagnostics };
}

/**
 * The class an Ingress asks for: spec.ingressClassName, else the legacy annotation (whose value
 * is matched against the names of our IngressClass objects, since Gatehouse has no class flag),
 * else none.
 */
function isOurs(ingress: Ingress, ourNames: ReadonlySet<string>, classless: boolean): boolean {
  const className = ingress.spec.ingressClassName ?? ingress.metadata.annotations[LEGACY_CLASS_ANNOTATION];
  if (className === undefined || className === '') return classless;
  return ourNames.has(className);
}

function ourClassNames(classes: ReadonlyMap<string, IngressClass>, controllerName: string): { names: Set<string>; hasDefault: boolean } {
  const names = new Set<string>();
  let hasDefault = false;
  for (const ingressClass of classes.values()) {
    if (ingressClass.spec.controller !== controllerName) continue;
    names.add(ingressClass.metadata.name);
    if (ingressClass.metadata.annotations[DEFAULT_CLASS_ANNOTATION] === 'true') hasDefault = true;
  }
  return { names, hasDefault };
}

function ignoredAnnotation(ingress: Ingress): Diagnostic | undefined {
  const annotation = ingress.metadata.annotations[LEGACY_CLASS_ANNOTATION];
  const field = ingress.spec.ingressClassName;
  if (annotation === undefined || field === undefined || annotation === field) return undefined;
  return makeDiagnostic(
    'IngressClassAnnotationIgnored',
    objectRef(ingress),
    `metadata.annotations["${LEGACY_CLASS_ANNOTATION}"]`,
    `spec.ingressClassName "${field}" is used; the legacy annotation "${LEGACY_CLASS_ANNOTATION}" is ignored (remove it)`,
  );
}
