// What `serve` and `demo` re-execute themselves with (app/runtime-flags.ts): the young-generation
// bound and glibc's arena cap, only when the user set neither, never twice, never for commands
// that exit at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HEAP_GROWING_PERCENT, DEFAULT_SEMI_SPACE_MB, effectiveSemiSpaceMb, relaunchFor, RELAUNCHED_ENV, semiSpaceMbOf } from '../../src/app/runtime-flags.ts';

const argv = (...rest: string[]): string[] => ['/usr/bin/node', '/app/dist/src/cli.js', ...rest];

test('serve with nothing set: the V8 flag first, the original arguments after, MALLOC_ARENA_MAX and the marker in the environment', () => {
  const r = relaunchFor(argv('serve', '--manifests', 'm'), ['--enable-source-maps'], { PATH: '/bin' });
  assert.deepEqual(r?.args, [`--max-semi-space-size=${DEFAULT_SEMI_SPACE_MB}`, `--heap-growing-percent=${DEFAULT_HEAP_GROWING_PERCENT}`, '--enable-source-maps', '/app/dist/src/cli.js', 'serve', '--manifests', 'm']);
  assert.deepEqual(r?.env, { PATH: '/bin', MALLOC_ARENA_MAX: '2', [RELAUNCHED_ENV]: '1' });
  assert.notEqual(relaunchFor(argv('demo'), [], {}), undefined);
});

test('the user\'s own choices win: NODE_OPTIONS or node\'s arguments, and MALLOC_ARENA_MAX', () => {
  const viaOptions = relaunchFor(argv('serve'), ['--heap-growing-percent=100'], { NODE_OPTIONS: '--max-semi-space-size=16' });
  assert.deepEqual(viaOptions?.args, ['--heap-growing-percent=100', '/app/dist/src/cli.js', 'serve']);
  assert.equal(viaOptions?.env['MALLOC_ARENA_MAX'], '2');
  const viaArgs = relaunchFor(argv('serve'), ['--max-semi-space-size', '8', '--heap-growing-percent=30'], { MALLOC_ARENA_MAX: '4' });
  assert.equal(viaArgs, undefined);
  assert.equal(relaunchFor(argv('serve'), ['--max_semi_space_size=8', '--heap_growing_percent=30'], { MALLOC_ARENA_MAX: '4' }), undefined);
  const arenaOnly = relaunchFor(argv('serve'), [], { MALLOC_ARENA_MAX: '8' });
  assert.equal(arenaOnly?.env['MALLOC_ARENA_MAX'], '8');
  assert.deepEqual(arenaOnly?.args.slice(0, 2), [`--max-semi-space-size=${DEFAULT_SEMI_SPACE_MB}`, `--heap-growing-percent=${DEFAULT_HEAP_GROWING_PERCENT}`]);
});

test('never twice, never for check, explain, help or a missing command', () => {
  assert.equal(relaunchFor(argv('serve'), [], { [RELAUNCHED_ENV]: '1' }), undefined);
  for (const rest of [['check', '-f', 'x'], ['explain', 'http://a/'], ['--help'], ['--version'], []]) assert.equal(relaunchFor(argv(...rest), [], {}), undefined, rest.join(' '));
});

test('the semi-space bound in effect: node\'s arguments, then NODE_OPTIONS, else the default', () => {
  assert.equal(semiSpaceMbOf(['--max-semi-space-size=4'], { NODE_OPTIONS: '--max-semi-space-size=16' }), 4);
  assert.equal(semiSpaceMbOf([], { NODE_OPTIONS: '--inspect --max-semi-space-size=16' }), 16);
  assert.equal(semiSpaceMbOf(['--max-semi-space-size=abc'], {}), undefined);
  assert.equal(effectiveSemiSpaceMb([], {}), DEFAULT_SEMI_SPACE_MB);
  assert.equal(effectiveSemiSpaceMb(['--max-semi-space-size=8'], {}), 8);
});
