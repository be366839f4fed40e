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
  /** Module loading and other start-up frames, left out of the shares. */
  startUpMs: number;
  byArea: [string, number][];
  byFunction: [string, number][];
}

function area(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'native (program)';
  // The socket writes: the syscall, which on loopback also runs the receiver's TCP work (and, on a
  // busy machine, the time the thread waits for a CPU after waking the receiver).
  if (name === 'writeBuffer' || name === 'writeLatin1String' || name === 'writeUtf8String' || name === 'writev') return 'socket writes (syscalls)';
  if (url.includes('/src/dataplane/http1/')) return 'gatehouse: HTTP/1 engine';
  if (url.includes('/src/dataplane/upstream/')) return 'gatehouse: upstream client';
  if (url.includes('/src/dataplane/http/access-log') || url.includes('/line-writer')) return 'gatehouse: access log';
  if (url.includes('/src/observability/')) return 'gatehouse: metrics and observers';
  if (url.includes('/src/dataplane/')) return 'gatehouse: flow, steps, headers';
  if (url.includes('/src/')) return 'gatehouse other';
  if (url.includes('/undici/')) return 'undici';
  if (url.startsWith('node:internal/http') || url.startsWith('node:_http') || url === 'node:http' || url.includes('_http_')) return 'node http';
  if (url.startsWith('node:internal/streams') || url.startsWith('node:stream')) return 'node streams';
  if (url.startsWith('node:net') || url.startsWith('node:internal/net') || url.includes('stream_base_commons')) return 'node net';
  if (url.includes('timers')) return 'node timers';
  if (url.startsWith('node:')) return 'node other';
  if (url === '') return 'V8 builtins and native';
  return 'other';
}

/** Frames of start-up (module loading, building the first table): not the steady state a benchmark measures. */
function isStartUp(url: string, name: string): boolean {
  return url.includes('internal/modules/') || name === 'compileSourceTextModule' || url.includes('internal/bootstrap/');
}

export function summarizeProfile(file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const startUp = new Map<number, boolean>();
  const inStartUp = (id: number): boolean => {
    let known = startUp.get(id);
    if (known === undefined) {
      const node = byId.get(id)!;
      const up = parent.get(id);
      known = isStartUp(node.callFrame.url, node.callFrame.functionName) || (up !== undefined && inStartUp(up));
      startUp.set(id, known);
    }
    return known;
  };
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  let startUpUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const a = area(url, functionName);
    if (a === 'idle') continue;
    if (inStartUp(id)) {
      startUpUs += us;
      continue;
    }
    total += us;
    areas.set(a, (areas.get(a) ?? 0) + us);
    const short = url.replace(/^.*\/(src|node_modules)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : ''}`.trim();
    functions.set(key, (functions.get(key) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>): [string, number][] => [...m.entries()].sort((x, y) => y[1] - x[1]).map(([k, v]) => [k, v / 1000]);
  return { totalMs: total / 1000, startUpMs: startUpUs / 1000, byArea: sorted(areas), byFunction: sorted(functions) };
}

export function printProfileSummary(s: ProfileSummary, top = 25): void {
  const pct = (ms: number): string => `${((100 * ms) / s.totalMs).toFixed(1).padStart(5)}%`;
  console.log(`\nCPU profile: ${(s.totalMs / 1000).toFixed(1)} s busy (idle and ${(s.startUpMs / 1000).toFixed(1)} s of start-up excluded; samples are wall-clock time on the thread)`);
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
