// Summarises a V8 .cpuprofile (from node --cpu-prof): self time by function and by area
// (Gatehouse source, undici, Node's HTTP internals, GC...), so a benchmark run can say where the
// time goes. Usage: node bench/profile-summary.ts FILE.cpuprofile [TOP]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  byArea: [string, number][];
  byFunction: [string, number][];
}

function area(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'native (program)';
  if (url.includes('/src/dataplane/')) return 'gatehouse data plane';
  if (url.includes('/src/')) return 'gatehouse other';
  if (url.includes('/undici/')) return 'undici';
  if (url.startsWith('node:internal/http') || url.startsWith('node:_http') || url === 'node:http' || url.includes('_http_')) return 'node http';
  if (url.startsWith('node:internal/streams') || url.startsWith('node:stream')) return 'node streams';
  if (url.startsWith('node:net') || url.startsWith('node:internal/net') || url.includes('stream_base_commons')) return 'node net';
  if (url.startsWith('node:')) return 'node other';
  if (url === '') return 'native/builtins';
  return 'other';
}

export function summarizeProfile(file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const a = area(url, functionName);
    if (a === 'idle') continue;
    total += us;
    areas.set(a, (areas.get(a) ?? 0) + us);
    const short = url.replace(/^.*\/(src|node_modules)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : ''}`.trim();
    functions.set(key, (functions.get(key) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>): [string, number][] => [...m.entries()].sort((x, y) => y[1] - x[1]).map(([k, v]) => [k, v / 1000]);
  return { totalMs: total / 1000, byArea: sorted(areas), byFunction: sorted(functions) };
}

export function printProfileSummary(s: ProfileSummary, top = 25): void {
  const pct = (ms: number): string => `${((100 * ms) / s.totalMs).toFixed(1).padStart(5)}%`;
  console.log(`\nCPU profile: ${(s.totalMs / 1000).toFixed(1)} s busy (idle excluded)`);
  console.log('\nBy area (self time):');
  for (const [name, ms] of s.byArea) console.log(`  ${pct(ms)}  ${name}`);
  console.log(`\nTop ${top} functions (self time):`);
  for (const [name, ms] of s.byFunction.slice(0, top)) console.log(`  ${pct(ms)}  ${name}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/profile-summary.ts FILE.cpuprofile [TOP]');
    process.exit(2);
  }
  printProfileSummary(summarizeProfile(file), Number(process.argv[3] ?? 25));
}
