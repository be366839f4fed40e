// A password check worker (password-check-pool.ts): one check at a time, answered by id. Runs
// off the event loop because bcrypt and sha-crypt cost 10-100 ms of CPU each.

import { parentPort } from 'node:worker_threads';
import type { PasswordHash } from '../../core/password-hash.ts';
import { verifyPassword } from './verify-password.ts';

export interface PasswordCheckJob {
  id: number;
  hash: PasswordHash;
  password: Uint8Array;
}

export interface PasswordCheckAnswer {
  id: number;
  match: boolean;
}

parentPort?.on('message', (job: PasswordCheckJob) => {
  let match = false;
  try {
    match = verifyPassword(job.hash, job.password);
  } catch {
    match = false; // a hash the parser let through but the algorithm rejects never authenticates
  }
  const answer: PasswordCheckAnswer = { id: job.id, match };
  parentPort!.postMessage(answer);
});
