// An Explanation as the short trace `gatehouse explain` prints: one labelled block per step of the
// routing decision (request, host, paths, decision, policy, backend, answer), columns aligned, no
// colour (it is read in terminals and pasted into issues alike).

import type { Explanation, PolicyLine } from '../core/explain-request.ts';

const LABEL = 12;

export function renderExplanation(e: Explanation): string {
  const out: string[] = [];
  const head = (label: string, text: string): void => void out.push(`${label.padEnd(LABEL)}${text}`);
  const more = (text: string): void => void out.push(`${' '.repeat(LABEL)}${text}`);
  const r = e.request;
  head('request', `${r.scheme}://${r.hostHeader}${r.rawTarget}`);
  if (r.path !== undefined) {
    const canonical = r.path + (r.query ?? '');
    if (canonical !== r.rawTarget) more(`routed as ${canonical} (the canonical form the data plane uses)`);
  }
  const extras = Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`);
  if (r.clientIp !== undefined) extras.push(`client ${r.clientIp}`);
  if (extras.length > 0) more(extras.join(', '));

  if (e.host !== undefined) {
    const h = e.host;
    const shown = h.host === '' ? '(no host)' : h.host;
    head('host', h.virtualHost === undefined ? `${shown}: ${h.reason}` : `${shown} → virtual host ${h.virtualHost} (${h.match}): ${h.reason}`);
    if (h.tls !== undefined) more(h.tls.certificate === undefined ? `TLS from Ingress ${h.tls.ingress} with the default certificate (not its own: plain HTTP is not redirected)` : `TLS certificate ${h.tls.certificate} (Ingress ${h.tls.ingress})`);
  }
  if (e.host?.virtualHost !== undefined) {
    if (e.candidates.length === 0) head('paths', 'none on this virtual host');
    else {
      head('paths', 'most specific first; the first that matches wins');
      const rows = e.candidates.map((c) => [outcomeWord(c.outcome), c.pathType === 'ImplementationSpecific' ? 'ImplSpecific' : c.match, c.path, c.route, c.reason]);
      out.push(...table(rows, '  '));
    }
  }
  if (e.decision !== undefined) {
    const d = e.decision;
    const what = d.kind === 'route' ? `route ${d.route}` : d.kind === 'host-default' ? 'host default backend' : d.kind === 'table-default' ? 'default backend' : 'nothing';
    head('decision', `${what}: ${d.reason}`);
  }
  if (e.canary !== undefined) head('canary', `${e.canary.side === 'canary' ? `to ${e.canary.route}` : 'stays on the main route'}: ${e.canary.summary}`);
  if (e.policy !== undefined) {
    head('policy', `of ${e.policy.id === '--default-backend' ? 'the controller (--default-backend)' : `Ingress ${e.policy.id}`}`);
    out.push(...table(e.policy.lines.map(policyRow), '  '));
  }
  if (e.backend !== undefined) {
    const b = e.backend;
    if (b.missing === true) head('backend', `${b.id}: not in the route table`);
    else {
      const n = b.endpoints.length;
      const count = n === 0 ? 'no endpoints' : `${b.eligible} of ${n} endpoint${n === 1 ? '' : 's'} eligible`;
      head('backend', `${b.id} (Service ${b.namespace}/${b.service}, port ${b.servicePort}${b.sessionAffinity === 'ClientIP' ? ', sessionAffinity ClientIP' : ''}): ${count}`);
      const rows = b.endpoints.map((ep) => [
        ep.address.includes(':') ? `[${ep.address}]:${ep.port}` : `${ep.address}:${ep.port}`,
        ep.state + (ep.ejected ? ', ejected' : ''),
        ep.eligible ? 'eligible' : 'skipped',
        ep.reason + (ep.targetRef === undefined ? '' : ` (${ep.targetRef})`),
      ]);
      out.push(...table(rows, '  '));
    }
  }
  head('answer', e.answer.summary);
  if (e.answer.kind === 'proxied') for (const h of e.answer.headers) more(`response header ${h}`);
  if (e.diagnostics.length > 0) {
    head('diagnostics', `${e.diagnostics.length} about the objects involved (docs/diagnostics.md)`);
    for (const d of e.diagnostics) {
      out.push(`  ${d.severity} ${d.code} ${d.object.kind} ${d.object.namespace}/${d.object.name}${d.field === undefined ? '' : ` ${d.field}`}: ${d.message}`);
    }
  }
  return out.join('\n') + '\n';
}

function outcomeWord(o: string): string {
  return o === 'matched' ? 'MATCH' : o === 'no-match' ? 'no' : 'skipped';
}

function policyRow(l: PolicyLine): string[] {
  const source = l.source === 'annotation' ? 'annotation' : l.source === 'flag' ? (l.note ?? 'flag') : 'default';
  const note = l.source === 'flag' ? undefined : l.note;
  const effect = l.applies ? (note ?? '') : `does not apply${note === undefined ? '' : `: ${note}`}`;
  return [l.setting, l.value, source, effect];
}

/** Left-aligned columns; the last column is free text and is not padded. */
function table(rows: string[][], indent: string): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => (indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).trimEnd());
}
