// The canary step (ingress-nginx canary annotations): right after routing, a route that a canary
// splits sends this request either on (main) or to the canary's target — the canary's backend under
// the main route's policy, so every later step (redirects, CORS, access, basic auth, limits) is the
// main Ingress's. The decision is the core's chooseCanary; here it gets the request's header and
// cookie, the sides' cookie affinity, a random draw, and the header pattern compiled on re2js.
import { RE2JS } from 're2js';
import type { IncomingHttpHeaders } from 'node:http';
import type { RouteCanary } from '../../core/canary/canary-split.ts';
import { chooseCanary, type CanaryRequest, type CanarySide } from '../../core/canary/choose-canary.ts';
import type { RouteTarget } from '../compile-table.ts';
import type { PickContext } from '../proxy/endpoint-picker.ts';

export interface CompiledCanary {
  readonly split: RouteCanary;
  /** Where canary requests go: the canary's backend and picker, the main route's policy. */
  readonly target: RouteTarget;
  /** canary-by-header-pattern on RE2 (the builder checked it compiles within the caps). */
  readonly pattern: RE2JS | undefined;
}

export function compileCanary(split: RouteCanary, target: RouteTarget): CompiledCanary {
  let pattern: RE2JS | undefined;
  const source = split.header?.pattern;
  if (source !== undefined) {
    try {
      pattern = RE2JS.compile(source);
    } catch {
      // The builder never lets such a pattern through; if one came, it matches nothing.
      pattern = undefined;
    }
  }
  return { split, target, pattern };
}

/** What the step reads from the exchange: its headers, cookies and the pickers' affinity. */
export type CanaryContext = PickContext & { readonly headers: IncomingHttpHeaders };

/** The target that serves this request: `target` itself, or its canary's. */
export function canaryTargetFor(target: RouteTarget, ctx: CanaryContext): RouteTarget {
  const canary = target.canary;
  if (canary === undefined) return target;
  const request: CanaryRequest = {
    header: (name) => headerValue(ctx.headers[name]),
    cookie: (name) => ctx.cookie(name),
    affinity: (): CanarySide | undefined => {
      if (target.picker.holdsSession?.(ctx) === true) return 'main';
      if (canary.target.picker.holdsSession?.(ctx) === true) return 'canary';
      return undefined;
    },
    draw: (total) => 1 + Math.floor(Math.random() * total),
    patternMatches: (value) => canary.pattern?.test(value) === true,
  };
  return chooseCanary(canary.split, request).side === 'canary' ? canary.target : target;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(', ');
}
