#!/usr/bin/env node
// The gatehouse command. Everything happens in app/main.ts; this file only sets the exit code.
import { main } from './app/main.ts';

const code = await main(process.argv.slice(2));
// Exit explicitly: lingering keep-alive sockets or timers must not hold a stopped process open.
process.exit(code);
