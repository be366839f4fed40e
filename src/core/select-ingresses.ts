// Which Ingresses are ours. Filtering happens here, in the builder, not in the store, so that an
// IngressClass appearing later can bring an Ingress back. Ingresses that are not ours get a status
// intent (admitted: false), no routes, and a diagnostic that says why, never silence:
//  - a class of another controller (or a default class of another controller): info
//    IngressClassOtherController; a class no IngressClass defines: info IngressClassNotFound.
//    Info only, and never an Event (status/ only records Events on Ingresses we admit).
//  - no class, and no IngressClass is the default: ONE warning, IngressClassNoDefault, for all
//    of them, saying how to make Gatehouse's class the default.

import { compareStrings } from './compare-strings.ts';
import type { Diagnostic, ObjectRef } from './diagnostics.ts';
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
  const otherDefault = ourClasses.hasDefault ? undefined : defaultClass(snapshot.ingressClasses);
  const admitted: Ingress[] = [];
  const status: IngressStatusIntent[] = [];
  const diagnostics: Diagnostic[] = [];
  const unclassed: Ingress[] = [];
  for (const ingress of snapshot.ingresses.values()) {
    const ours = isOurs(ingress, ourClasses.names, classless);
    status.push({ ingress: objectKey(ingress.metadata), admitted: ours });
    if (!ours) {
      const why = notOurs(ingress, snapshot.ingressClasses, otherDefault, options.controllerName);
      if (why === undefined) unclassed.push(ingress);
      else diagnostics.push(why);
      continue;
    }
    admitted.push(ingress);
    const ignored = ignoredAnnotation(ingress);
    if (ignored) diagnostics.push(ignored);
  }
  if (unclassed.length > 0) diagnostics.push(noDefaultClass(unclassed, ourClasses.names, options.controllerName));
  admitted.sort(compareIngressAge);
  status.sort((a, b) => compareStrings(a.ingress, b.ingress));
  return { admitted, status, diagnostics };
}

/** The class an Ingress asks for, and the field that says so; className undefined when none. */
function requestedClass(ingress: Ingress): { className: string | undefined; field: string } {
  const fromSpec = ingress.spec.ingressClassName;
  if (fromSpec !== undefined && fromSpec !== '') return { className: fromSpec, field: 'spec.ingressClassName' };
  const legacy = ingress.metadata.annotations[LEGACY_CLASS_ANNOTATION];
  if (fromSpec === undefined && legacy !== undefined && legacy !== '') return { className: legacy, field: `metadata.annotations["${LEGACY_CLASS_ANNOTATION}"]` };
  return { className: undefined, field: 'spec.ingressClassName' };
}

/** Why an Ingress that is not ours is skipped; undefined for an unclassed one with no default class anywhere. */
function notOurs(ingress: Ingress, classes: ReadonlyMap<string, IngressClass>, otherDefault: IngressClass | undefined, controllerName: string): Diagnostic | undefined {
  const { className, field } = requestedClass(ingress);
  if (className === undefined) {
    if (otherDefault === undefined) return undefined;
    return makeDiagnostic(
      'IngressClassOtherController',
      objectRef(ingress),
      'spec.ingressClassName',
      `names no class, and the default IngressClass "${otherDefault.metadata.name}" belongs to controller "${otherDefault.spec.controller}", not to Gatehouse ("${controllerName}"); left to that controller`,
    );
  }
  const shown = quoteName(className);
  const ingressClass = classes.get(className);
  if (ingressClass !== undefined) {
    return makeDiagnostic(
      'IngressClassOtherController',
      objectRef(ingress),
      field,
      `IngressClass ${shown} belongs to controller "${ingressClass.spec.controller}", not to Gatehouse ("${controllerName}"); left to that controller`,
    );
  }
  return makeDiagnostic(
    'IngressClassNotFound',
    objectRef(ingress),
    field,
    `no IngressClass ${shown} exists; Gatehouse serves the Ingresses of IngressClasses whose spec.controller is "${controllerName}"`,
  );
}

const SHOWN_UNCLASSED = 3;

function noDefaultClass(unclassed: Ingress[], ourNames: ReadonlySet<string>, controllerName: string): Diagnostic {
  const keys = unclassed.map((i) => objectKey(i.metadata)).sort(compareStrings);
  const listed = keys.slice(0, SHOWN_UNCLASSED).join(', ') + (keys.length > SHOWN_UNCLASSED ? `, and ${keys.length - SHOWN_UNCLASSED} more` : '');
  const ourClass = [...ourNames].sort(compareStrings)[0];
  const what = `${keys.length === 1 ? '1 Ingress names' : `${keys.length} Ingresses name`} no IngressClass and no IngressClass is the default, so Gatehouse does not serve ${keys.length === 1 ? 'it' : 'them'} (${listed})`;
  const how =
    ourClass === undefined
      ? `to serve them, create an IngressClass with spec.controller "${controllerName}" and the annotation ${DEFAULT_CLASS_ANNOTATION}: "true", or start Gatehouse with --watch-ingress-without-class`
      : `to serve them, make Gatehouse's IngressClass the default: kubectl annotate ingressclass ${ourClass} ${DEFAULT_CLASS_ANNOTATION}=true (or start Gatehouse with --watch-ingress-without-class)`;
  const object: ObjectRef = ourClass === undefined ? { kind: 'Controller', namespace: '', name: controllerName } : { kind: 'IngressClass', namespace: '', name: ourClass };
  return makeDiagnostic('IngressClassNoDefault', object, undefined, `${what}; ${how}`);
}

/** The first (by name) IngressClass marked default, whoever's it is. */
function defaultClass(classes: ReadonlyMap<string, IngressClass>): IngressClass | undefined {
  let found: IngressClass | undefined;
  for (const c of classes.values()) {
    if (c.metadata.annotations[DEFAULT_CLASS_ANNOTATION] !== 'true') continue;
    if (found === undefined || c.metadata.name < found.metadata.name) found = c;
  }
  return found;
}

/** A tenant-written class name, quoted and shortened for a message. */
function quoteName(name: string): string {
  return JSON.stringify(name.length > 63 ? `${name.slice(0, 63)}…` : name);
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
