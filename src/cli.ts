#!/usr/bin/env node
// The gatehouse command. This entry runs on any Node.js: it checks the version first and only then
// loads the rest (which needs Node.js 24: undici, …), so an older Node prints one line saying what
// it needs and exits 2, instead of a TypeError from deep inside a dependency. No top-level await,
// no static import but the check, for the same reason.
import { checkNodeVersion } from './app/check-node-version.ts';

const problem = checkNodeVersion(process.versions.node);
if (problem !== undefined) {
  process.stderr.write(`gatehouse: ${problem}\n`);
  process.exit(2);
}

import('./app/runtime-flags.ts')
  .then(({ relaunchFor }) => {
    // serve/demo: once, re-execute with the memory bounds the user did not set (runtime-flags.ts
    // says why they cannot be set later). execve keeps the pid and stdio; without it, run as is.
    const relaunch = relaunchFor(process.argv, process.execArgv, process.env);
    if (relaunch !== undefined && typeof process.execve === 'function') {
      process.execve(process.execPath, [process.execPath, ...relaunch.args], relaunch.env);
    }
    return import('./app/main.ts');
  })
  .then(
    async ({ main }) => {
      const code = await main(process.argv.slice(2));
      // Exit explicitly: lingering keep-alive sockets or timers must not hold a stopped process open.
      process.exit(code);
    },
    (err: unknown) => {
      process.stderr.write(`gatehouse: cannot load: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
