// The people's format of `gatehouse check`: one block per Ingress, columns aligned, long reasons
// wrapped under their line, at most 100 columns. The JSON format is the CheckReport itself.

import type { AnnotationOutcome, CheckReport, IngressFinding, RouteFinding } from '../core/annotation-report.ts';

const WIDTH = 100;
const MAX_VALUE = 200;
const MIN_VALUE = 30;
const OUTCOME_LABEL: Record<AnnotationOutcome, string> = { honoured: 'honoured', ignored: 'IGNORED', refuses: 'REFUSES', other: 'other' };
const VERDICT_LABEL: Record<IngressFinding['verdict'], string> = { honoured: 'honoured', ignored: 'IGNORED', refused: 'REFUSED', skipped: 'skipped' };

export function renderCheckReport(report: CheckReport, origin: string): string {
  const lines: string[] = [...wrap(`gatehouse check: ${origin}`, '', '  '), ''];
  for (const ingress of report.ingresses) lines.push(...renderIngress(ingress), '');
  if (report.input.length > 0) {
    lines.push('Input skipped by the reader');
    for (const d of report.input) lines.push(...wrap(`${d.severity} ${d.code}: ${d.message}`, '    ', '      '));
    lines.push('');
  }
  const s = report.summary;
  lines.push(
    `${s.ingresses} Ingress${s.ingresses === 1 ? '' : 'es'}: ${s.honoured} honoured, ${s.ignored} with ignored annotations, ${s.refused} refused, ${s.skipped} skipped`,
    verdictLine(report.verdict),
  );
  return `${lines.join('\n')}\n`;
}

function verdictLine(verdict: CheckReport['verdict']): string {
  if (verdict === 'refused') return 'Result: REFUSED: some routes would answer 503 (exit 3)';
  if (verdict === 'ignored') return 'Result: IGNORED: some annotations or input would have no effect (exit 1)';
  return 'Result: everything is honoured (exit 0)';
}

function renderIngress(f: IngressFinding): string[] {
  const head = `Ingress ${f.ingress}`;
  const verdict = VERDICT_LABEL[f.verdict];
  const lines = [`${head}${' '.repeat(Math.max(1, WIDTH - head.length - verdict.length))}${verdict}`];
  if (f.skipped !== undefined) {
    lines.push(...wrap(`not served by Gatehouse: ${f.skipped}`, '  ', '  '));
    return lines;
  }
  if (f.annotations.length > 0) {
    lines.push('  annotations');
    for (const a of f.annotations) {
      const label = OUTCOME_LABEL[a.outcome].padEnd(9);
      // Values addressed to other tools (kubectl's last-applied-configuration is kilobytes) are cut.
      const value = a.outcome === 'other' ? shownValue(a.value, WIDTH - 14 - a.key.length - 2) : JSON.stringify(a.value);
      lines.push(...wrap(`${a.key}: ${value}`, `    ${label} `, ' '.repeat(14)));
      if (a.outcome !== 'other') lines.push(...wrap(a.reason, ' '.repeat(16), ' '.repeat(16)));
    }
  }
  lines.push('  routes');
  if (f.routes.length === 0) lines.push('    none (no rule of this Ingress gives a route)');
  const hostWidth = Math.min(36, Math.max(0, ...f.routes.map((r) => r.host.length)));
  const pathWidth = Math.min(30, Math.max(0, ...f.routes.map((r) => r.path.length)));
  for (const r of f.routes) {
    const where = `    ${r.host.padEnd(hostWidth)}  ${r.path.padEnd(pathWidth)}  ${r.match.padEnd(7)}`;
    const to = `-> ${answer(r)}`;
    // Columns stay aligned; an answer that does not fit goes on its own line below.
    if (where.length + 2 + to.length <= WIDTH) lines.push(`${where}  ${to}`);
    else lines.push(where.trimEnd(), ...wrap(to, ' '.repeat(8), ' '.repeat(11)));
    for (const note of r.notes) lines.push(...wrap(note, ' '.repeat(8), ' '.repeat(8)));
  }
  if (f.diagnostics.length > 0) {
    lines.push('  other findings');
    for (const d of f.diagnostics) lines.push(...wrap(`${d.severity} ${d.code}: ${d.message}`, '    ', '      '));
  }
  return lines;
}

/** JSON-quoted (control bytes escaped), cut to fit its line unless that leaves too little to read. */
function shownValue(value: string, room: number): string {
  const quoted = JSON.stringify(value);
  const max = Math.max(MIN_VALUE, Math.min(MAX_VALUE, room));
  return quoted.length > max ? `${quoted.slice(0, max - 4)}..."` : quoted;
}

function answer(r: RouteFinding): string {
  if (r.answer === 'refused') return `503 refused (${r.refusedBy ?? 'refused'})`;
  const endpoints = r.endpoints ?? 0;
  return `${r.backend} (${endpoints === 0 ? 'no ready endpoints' : `${endpoints} ready endpoint${endpoints === 1 ? '' : 's'}`})`;
}

/** Word-wraps text to WIDTH with a first-line and a continuation prefix; long words are cut. */
function wrap(text: string, first: string, rest: string): string[] {
  if (first.length + text.length <= WIDTH) return [`${first}${text}`];
  const out: string[] = [];
  let prefix = first;
  let line = '';
  const flush = (): void => {
    out.push(`${prefix}${line}`);
    prefix = rest;
    line = '';
  };
  for (let word of text.split(' ')) {
    while (prefix.length + word.length > WIDTH && line === '') {
      const room = WIDTH - prefix.length;
      line = word.slice(0, room);
      word = word.slice(room);
      flush();
    }
    if (word === '') continue;
    if (line !== '' && prefix.length + line.length + 1 + word.length > WIDTH) flush();
    line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '' || out.length === 0) flush();
  return out;
}
