// The retry rule of the one exchange flow (src/dataplane/exchange/retry-decision.ts), as a table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryDecision, type FailedAttempt } from '../../src/dataplane/exchange/retry-decision.ts';

const base: FailedAttempt = {
  retryable: true,
  outcome: 'connect-error',
  method: 'GET',
  headReceived: false,
  responseStarted: false,
  hasBody: false,
  failedSoFar: 1,
  retries: 2,
};

const cases: [string, Partial<FailedAttempt>, boolean][] = [
  ['connect error on GET, retries left', {}, true],
  ['connect error on POST without body (nothing reached the backend)', { method: 'POST' }, true],
  ['connect timeout', { outcome: 'timeout' }, true],
  ['reset before any byte on GET', { outcome: 'reset' }, true],
  ['reset on PUT (idempotent)', { outcome: 'reset', method: 'PUT' }, true],
  ['reset on DELETE (idempotent)', { outcome: 'reset', method: 'DELETE' }, true],
  ['reset on POST: the backend may have acted', { outcome: 'reset', method: 'POST' }, false],
  ['reset on PATCH', { outcome: 'reset', method: 'PATCH' }, false],
  ['not retryable (read timeout, malformed response)', { retryable: false, outcome: 'timeout' }, false],
  ['the backend answered (head received)', { headReceived: true }, false],
  ['response bytes reached the client', { responseStarted: true }, false],
  ['a request body was streamed once', { hasBody: true }, false],
  ['last allowed attempt', { failedSoFar: 2, retries: 2 }, true],
  ['retries used up', { failedSoFar: 3, retries: 2 }, false],
  ['no retries configured', { failedSoFar: 1, retries: 0 }, false],
];

for (const [name, change, expected] of cases) {
  test(`retry decision: ${name} → ${expected ? 'retry' : 'answer'}`, () => {
    assert.equal(retryDecision({ ...base, ...change }), expected);
  });
}
