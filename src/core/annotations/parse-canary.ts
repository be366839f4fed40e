// ingress-nginx's canary annotations (annotations doc, "Canary"): `canary: "true"` makes an Ingress
// the canary of the Ingress that serves the same host and path; the other keys say which requests
// it takes. Parsed here into typed rules; the header pattern is compiled on re2js (linear time,
// RE2 syntax) with a length and program-size cap, never on V8's RegExp. A value that does not
// parse is an error (CanaryInvalid) and the split is not made: every request stays on the main
// Ingress, as the canary asked for nothing Gatehouse can honour as written.

import { RE2JS } from 're2js';
import type { Diagnostic } from '../diagnostics.ts';
import { makeDiagnostic, type DiagnosticCode } from '../diagnostic-codes.ts';
import type { Ingress } from '../model.ts';
import { objectRef } from '../object-ref.ts';
import { quoteValue } from '../quote-value.ts';
import { DEFAULT_CANARY_WEIGHT_TOTAL, type CanaryHeaderRule, type CanaryRules } from '../canary/canary-split.ts';
import { NGINX_PREFIX } from './annotation-schema.ts';
import { checkAnnotationValue } from './check-annotation-value.ts';
import { isToken, parseBool, parseIntInRange } from './value-types.ts';

export const CANARY_KEY = `${NGINX_PREFIX}canary`;
const HEADER_KEY = `${NGINX_PREFIX}canary-by-header`;
const HEADER_VALUE_KEY = `${NGINX_PREFIX}canary-by-header-value`;
const HEADER_PATTERN_KEY = `${NGINX_PREFIX}canary-by-header-pattern`;
const COOKIE_KEY = `${NGINX_PREFIX}canary-by-cookie`;
const WEIGHT_KEY = `${NGINX_PREFIX}canary-weight`;
const WEIGHT_TOTAL_KEY = `${NGINX_PREFIX}canary-weight-total`;

/** Every key this parser reads (parse-ingress-policy.ts leaves them to it). */
export const CANARY_KEYS: ReadonlySet<string> = new Set([CANARY_KEY, HEADER_KEY, HEADER_VALUE_KEY, HEADER_PATTERN_KEY, COOKIE_KEY, WEIGHT_KEY, WEIGHT_TOTAL_KEY]);

/** What each key does, for `gatehouse check` and docs. */
export const CANARY_KEY_DOCS: Readonly<Record<string, string>> = {
  [CANARY_KEY]: 'this Ingress is the canary of the Ingress serving the same host and path',
  [HEADER_KEY]: 'a request with this header set to `always` goes to the canary, `never` to the main Ingress',
  [HEADER_VALUE_KEY]: 'requests whose canary-by-header equals this value go to the canary',
  [HEADER_PATTERN_KEY]: 'requests whose canary-by-header matches this RE2 pattern go to the canary',
  [COOKIE_KEY]: 'a request with this cookie set to `always` goes to the canary, `never` to the main Ingress',
  [WEIGHT_KEY]: 'this share (of canary-weight-total) of the requests no header or cookie decides goes to the canary',
  [WEIGHT_TOTAL_KEY]: 'the whole that canary-weight is a share of (default 100)',
};

/** Caps on canary-by-header-pattern: its length, and the size of the compiled RE2 program. */
export const MAX_CANARY_PATTERN_LENGTH = 256;
export const MAX_CANARY_PATTERN_PROGRAM = 2_000;
/** ingress-nginx's value caps are Go ints; these keep the draw a safe integer. */
export const MAX_CANARY_WEIGHT_TOTAL = 1_000_000;

export type ParsedCanary =
  /** Not a canary (canary absent or false): its canary-* keys are reported as having no effect. */
  | { canary: false; diagnostics: Diagnostic[] }
  /** A canary; `rules` undefined when a value did not parse (CanaryInvalid, reported). */
  | { canary: true; rules: CanaryRules | undefined; diagnostics: Diagnostic[] };

export function parseCanary(ingress: Ingress): ParsedCanary {
  const annotations = ingress.metadata.annotations;
  const object = objectRef(ingress);
  const diagnostics: Diagnostic[] = [];
  const report = (code: DiagnosticCode, key: string, message: string): void => {
    diagnostics.push(makeDiagnostic(code, object, `metadata.annotations[${quoteValue(key)}]`, message));
  };
  const present = [...CANARY_KEYS].filter((k) => Object.hasOwn(annotations, k)).sort();
  const flag = annotations[CANARY_KEY];
  let isCanary = false;
  if (flag !== undefined && Object.hasOwn(annotations, CANARY_KEY)) {
    const parsed = parseBool(flag);
    if (parsed.ok) isCanary = parsed.value;
    else report('CanaryInvalid', CANARY_KEY, `${quoteValue(flag)} is not a valid value for ${quoteValue(CANARY_KEY)}: ${parsed.reason}; this Ingress is not a canary`);
  }
  if (!isCanary) {
    for (const key of present) {
      if (key !== CANARY_KEY) report('AnnotationNoEffect', key, `${quoteValue(key)} has no effect: ${quoteValue(CANARY_KEY)} is not "true"`);
    }
    return { canary: false, diagnostics };
  }

  let invalid = false;
  const fail = (key: string, why: string): void => {
    invalid = true;
    report('CanaryInvalid', key, `${quoteValue(key)} ${why}; the canary split is not made and every request stays on the main Ingress until it is corrected`);
  };
  const text = (key: string): string | undefined => (Object.hasOwn(annotations, key) ? annotations[key] : undefined);
  const gated = (key: string, max?: number): string | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    const unsafe = checkAnnotationValue(value, max);
    if (unsafe !== undefined) {
      fail(key, `is refused: its value ${unsafe}`);
      return undefined;
    }
    return value;
  };

  const rules: CanaryRules = { weight: 0, weightTotal: DEFAULT_CANARY_WEIGHT_TOTAL };
  const headerName = gated(HEADER_KEY);
  if (headerName !== undefined) {
    if (isToken(headerName)) rules.header = { name: headerName.toLowerCase() };
    else fail(HEADER_KEY, `is not a header name: ${quoteValue(headerName)}`);
  }
  const headerValue = gated(HEADER_VALUE_KEY);
  const pattern = readPattern(text(HEADER_PATTERN_KEY), (why) => fail(HEADER_PATTERN_KEY, why));
  const header: CanaryHeaderRule | undefined = rules.header;
  if (headerValue !== undefined && headerValue.length > 0) {
    if (header !== undefined) header.value = headerValue;
    else if (headerName === undefined) report('AnnotationNoEffect', HEADER_VALUE_KEY, `${quoteValue(HEADER_VALUE_KEY)} has no effect: there is no ${quoteValue(HEADER_KEY)}`);
    if (pattern !== undefined) report('AnnotationNoEffect', HEADER_PATTERN_KEY, `${quoteValue(HEADER_PATTERN_KEY)} has no effect: ${quoteValue(HEADER_VALUE_KEY)} is set and wins, as in ingress-nginx`);
  } else if (pattern !== undefined) {
    if (header !== undefined) header.pattern = pattern;
    else if (headerName === undefined) report('AnnotationNoEffect', HEADER_PATTERN_KEY, `${quoteValue(HEADER_PATTERN_KEY)} has no effect: there is no ${quoteValue(HEADER_KEY)}`);
  }
  const cookie = gated(COOKIE_KEY);
  if (cookie !== undefined) {
    if (isToken(cookie)) rules.cookie = cookie;
    else fail(COOKIE_KEY, `is not a cookie name: ${quoteValue(cookie)}`);
  }
  const total = gated(WEIGHT_TOTAL_KEY);
  if (total !== undefined) {
    const parsed = parseIntInRange(total, 1, MAX_CANARY_WEIGHT_TOTAL);
    if (parsed.ok) rules.weightTotal = parsed.value;
    else fail(WEIGHT_TOTAL_KEY, `is not valid: ${parsed.reason}`);
  }
  const weight = gated(WEIGHT_KEY);
  if (weight !== undefined) {
    const parsed = parseIntInRange(weight, 0, rules.weightTotal);
    if (parsed.ok) rules.weight = parsed.value;
    else fail(WEIGHT_KEY, `is not valid: ${parsed.reason} (canary-weight-total is ${rules.weightTotal})`);
  }
  return { canary: true, rules: invalid ? undefined : rules, diagnostics };
}

/** The pattern, compiled once here to prove RE2 accepts it within the caps; undefined when absent or refused. */
function readPattern(value: string | undefined, fail: (why: string) => void): string | undefined {
  if (value === undefined || value.length === 0) return undefined;
  if (value.length > MAX_CANARY_PATTERN_LENGTH) {
    fail(`is longer than ${MAX_CANARY_PATTERN_LENGTH} characters`);
    return undefined;
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      fail('contains a control or non-ASCII character');
      return undefined;
    }
  }
  try {
    const size = RE2JS.compile(value).programSize();
    if (size > MAX_CANARY_PATTERN_PROGRAM) {
      fail(`compiles to an RE2 program of ${size} instructions, over the cap of ${MAX_CANARY_PATTERN_PROGRAM}`);
      return undefined;
    }
  } catch (err) {
    fail(`is not a pattern RE2 accepts: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  return value;
}
