// The memory settings a serving Gatehouse gives its own Node.js process (docs/dataplane.md#memory).
//
// V8 sizes its young generation by the allocation rate: under a proxy's load each semi-space grows
// to 16 MiB and the new space to 32-64 MiB of RSS, which holds nothing but garbage between two
// scavenges. glibc gives every thread that calls malloc (V8's compiler and GC helpers, libuv's
// pool) an arena of its own, and arenas keep freed memory. Both are fixed when the process starts:
// V8 reads --max-semi-space-size when it creates the heap (v8.setFlagsFromString afterwards changes
// nothing, measured), glibc reads MALLOC_ARENA_MAX at its first malloc. And under hundreds of
// connections V8 lets the old generation grow to several times what is live before a full
// collection (--heap-growing-percent bounds that). So `serve` and `demo` re-execute themselves once
// (process.execve: same pid, same stdio, nothing else kept) with what is missing, unless the user
// has already chosen: --max-semi-space-size in NODE_OPTIONS or on node's command line,
// --heap-growing-percent on node's command line, MALLOC_ARENA_MAX in the environment.
//
// This file is imported by cli.ts after the Node.js version check: nothing here may need more than
// what that check guarantees, and nothing is imported.

/** Young-generation semi-space bound (MiB) when the user sets none: see docs/dataplane.md#memory. */
export const DEFAULT_SEMI_SPACE_MB = 2;
/**
 * V8's old-generation growth between full collections, in percent, when the user sets none. V8's
 * own factor goes up to 300 % when its collector is fast relative to the program, which a proxy at
 * hundreds of connections is (request objects live across scavenges and are promoted): the old
 * space grew to 60 MiB at c500 with 30 MiB live. 50 % keeps it within about 1.5x the live heap.
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 50;
/** glibc malloc arenas when the user sets none. */
export const DEFAULT_MALLOC_ARENA_MAX = '2';
/** Set in the re-executed process: a second pass never re-executes again. */
export const RELAUNCHED_ENV = 'GATEHOUSE_RELAUNCHED';

const SEMI_SPACE = /^--max[-_]semi[-_]space[-_]size(?:=(\d+))?$/;
const HEAP_GROWING = /^--heap[-_]growing[-_]percent(?:=|$)/;

export interface Relaunch {
  /** node's arguments: the added V8 flags, then the original exec arguments, script and arguments. */
  args: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * What the process should be re-executed with, or undefined when nothing is missing, the command
 * is not one that serves (check, explain and --help exit at once), or this is the re-executed one.
 */
export function relaunchFor(argv: readonly string[], execArgv: readonly string[], env: NodeJS.ProcessEnv): Relaunch | undefined {
  const command = argv[2];
  if (command !== 'serve' && command !== 'demo') return undefined;
  if (env[RELAUNCHED_ENV] === '1') return undefined;
  const flags = [
    ...(semiSpaceMbOf(execArgv, env) === undefined ? [`--max-semi-space-size=${DEFAULT_SEMI_SPACE_MB}`] : []),
    // A V8 flag NODE_OPTIONS does not take: only node's own command line can carry it.
    ...(execArgv.some((a) => HEAP_GROWING.test(a)) ? [] : [`--heap-growing-percent=${DEFAULT_HEAP_GROWING_PERCENT}`]),
  ];
  const arena = env['MALLOC_ARENA_MAX'] === undefined ? { MALLOC_ARENA_MAX: DEFAULT_MALLOC_ARENA_MAX } : {};
  if (flags.length === 0 && Object.keys(arena).length === 0) return undefined;
  return { args: [...flags, ...execArgv, ...argv.slice(1)], env: { ...env, ...arena, [RELAUNCHED_ENV]: '1' } };
}

/** The semi-space bound the user gave (node's arguments first, then NODE_OPTIONS), if any. */
export function semiSpaceMbOf(execArgv: readonly string[], env: NodeJS.ProcessEnv): number | undefined {
  const fromOptions = (env['NODE_OPTIONS'] ?? '').split(/\s+/).filter((a) => a !== '');
  for (const args of [execArgv, fromOptions]) {
    for (let i = 0; i < args.length; i++) {
      const m = SEMI_SPACE.exec(args[i]!);
      if (m === null) continue;
      const value = m[1] ?? args[i + 1];
      if (value !== undefined && /^\d+$/.test(value)) return Number(value);
    }
  }
  return undefined;
}

/** The semi-space bound in effect in this process (what relaunchFor added, or the user's). */
export function effectiveSemiSpaceMb(execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): number {
  return semiSpaceMbOf(execArgv, env) ?? DEFAULT_SEMI_SPACE_MB;
}
