// A snippet's `return` (core/policy.ts FixedAnswer): the route answers it instead of forwarding,
// as nginx's rewrite phase does. The body is text/plain with nosniff, whatever nginx's default_type
// would say: a body may carry $request_uri, and text/html would reflect it as markup.

import type { FixedAnswer } from '../../core/policy.ts';
import { isSafeHeaderValue } from '../http/header-value.ts';
import { renderTemplate, type TemplateContext } from './header-edits.ts';

export type RenderedAnswer = { close: true } | { close: false; status: number; headers: string[]; body: Buffer };

const EMPTY = Buffer.alloc(0);

export function renderFixedAnswer(answer: FixedAnswer, ctx: TemplateContext): RenderedAnswer {
  if (answer.status === 444) return { close: true };
  if (answer.location !== undefined) {
    const location = renderTemplate(answer.location, ctx);
    if (!isSafeHeaderValue(location)) return { close: false, status: 500, headers: [], body: EMPTY };
    return { close: false, status: answer.status, headers: ['location', location], body: EMPTY };
  }
  const body = answer.body === undefined ? EMPTY : Buffer.from(renderTemplate(answer.body, ctx), 'latin1');
  return { close: false, status: answer.status, headers: ['content-type', 'text/plain; charset=utf-8', 'x-content-type-options', 'nosniff'], body };
}
