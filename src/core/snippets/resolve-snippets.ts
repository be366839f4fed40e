// An Ingress's ingress-nginx snippets → typed header edits and a fixed answer, or a refusal.
// With `--snippets=subset` (the default) configuration-snippet and server-snippet are read through
// the strict grammar of parse-snippet.ts; a snippet with anything outside it refuses the Ingress
// (it may have been doing access control). With `--snippets=refuse` every snippet refuses it, as
// before the subset existed. nginx's inheritance rules are kept where they change the outcome:
// a configuration-snippet with its own add_header hides the server-snippet's add_header lines.

import type { Diagnostic } from '../diagnostics.ts';
import { makeDiagnostic } from '../diagnostic-codes.ts';
import type { Ingress } from '../model.ts';
import { objectRef } from '../object-ref.ts';
import type { FixedAnswer, HeaderEdits, PolicyRefusal } from '../policy.ts';
import { quoteValue } from '../quote-value.ts';
import { NGINX_PREFIX } from '../annotations/annotation-schema.ts';
import { parseSnippet, type SnippetKind, type SnippetSettings } from './parse-snippet.ts';

export type SnippetMode = 'refuse' | 'subset';

export const CONFIGURATION_SNIPPET = `${NGINX_PREFIX}configuration-snippet`;
export const SERVER_SNIPPET = `${NGINX_PREFIX}server-snippet`;
/** The keys read here; parse-ingress-policy.ts leaves them alone. */
export const SNIPPET_KEYS: ReadonlySet<string> = new Set([CONFIGURATION_SNIPPET, SERVER_SNIPPET]);

export interface ResolvedSnippets {
  headerEdits?: HeaderEdits;
  fixedAnswer?: FixedAnswer;
  refused?: PolicyRefusal;
  diagnostics: Diagnostic[];
}

const UNTIL = 'every route of this Ingress answers 503 until it is removed or rewritten';

export function resolveSnippets(ingress: Ingress, mode: SnippetMode): ResolvedSnippets {
  const annotations = ingress.metadata.annotations;
  // Server first: nginx runs the server's rewrite phase (its `return`) before the location's.
  const present: [SnippetKind, string][] = [];
  if (Object.hasOwn(annotations, SERVER_SNIPPET)) present.push(['server', SERVER_SNIPPET]);
  if (Object.hasOwn(annotations, CONFIGURATION_SNIPPET)) present.push(['configuration', CONFIGURATION_SNIPPET]);
  if (present.length === 0) return { diagnostics: [] };
  const object = objectRef(ingress);
  const field = (key: string): string => `metadata.annotations[${quoteValue(key)}]`;

  if (mode === 'refuse') {
    const [, key] = [...present].sort((a, b) => (a[1] < b[1] ? -1 : 1))[0]!;
    return {
      refused: { code: 'AnnotationProtectionUnsupported', annotation: key },
      diagnostics: present.map(([, k]) =>
        makeDiagnostic('AnnotationProtectionUnsupported', object, field(k), `${quoteValue(k)} asks for arbitrary nginx configuration (a snippet may do access control), and snippets are refused (--snippets=refuse); ${UNTIL}`),
      ),
    };
  }

  const diagnostics: Diagnostic[] = [];
  const parsed = new Map<SnippetKind, SnippetSettings>();
  let refused: PolicyRefusal | undefined;
  for (const [kind, key] of present) {
    const result = parseSnippet(annotations[key]!, kind);
    if (!result.ok) {
      const where = result.directive.length > 0 ? `line ${result.line}, ${quoteValue(result.directive)}` : `line ${result.line}`;
      diagnostics.push(makeDiagnostic('SnippetUnsupported', object, field(key), `${quoteValue(key)} ${where}: ${result.reason}; an ignored directive could be a missing protection, so ${UNTIL}`));
      if (refused === undefined || key < refused.annotation) refused = { code: 'SnippetUnsupported', annotation: key };
      continue;
    }
    for (const i of result.settings.ignored) {
      diagnostics.push(makeDiagnostic('SnippetDirectiveIgnored', object, field(key), `${quoteValue(key)} line ${i.line}, ${quoteValue(i.directive)} has no effect: ${i.why}`));
    }
    parsed.set(kind, result.settings);
  }
  if (refused !== undefined) return { refused, diagnostics };

  const server = parsed.get('server');
  const location = parsed.get('configuration');
  const edits: HeaderEdits = { request: [], response: [], hide: [] };
  if (server !== undefined) {
    // nginx inherits the server's add_header lines only into a location without its own.
    const locationAdds = location?.response.some((h) => h.mode === 'add') === true;
    if (locationAdds && server.response.some((h) => h.mode === 'add')) {
      diagnostics.push(makeDiagnostic('SnippetDirectiveIgnored', object, field(SERVER_SNIPPET), `the add_header lines of ${quoteValue(SERVER_SNIPPET)} have no effect: the configuration-snippet has its own add_header, and nginx then inherits none from the server`));
    }
    edits.request.push(...server.request);
    edits.response.push(...server.response.filter((h) => !(locationAdds && h.mode === 'add')));
    edits.hide.push(...server.hide);
  }
  if (location !== undefined) {
    edits.request.push(...location.request);
    edits.response.push(...location.response);
    edits.hide.push(...location.hide);
  }
  const out: ResolvedSnippets = { diagnostics };
  if (edits.request.length + edits.response.length + edits.hide.length > 0) out.headerEdits = edits;
  const fixed = server?.fixed ?? location?.fixed;
  if (fixed !== undefined) out.fixedAnswer = fixed;
  return out;
}

/** The edits of the snippets first, then the annotations' (gatehouse.dev/ wins where both set a header). */
export function combineHeaderEdits(first: HeaderEdits | undefined, then: HeaderEdits | undefined): HeaderEdits | undefined {
  if (first === undefined) return then;
  if (then === undefined) return first;
  return { request: [...first.request, ...then.request], response: [...first.response, ...then.response], hide: [...first.hide, ...then.hide] };
}
