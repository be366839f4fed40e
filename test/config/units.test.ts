import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatByteSize, formatDuration, parseByteSize, parseDuration } from '../../src/core/units.ts';

test('parseDuration: the accepted forms', () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['0s', 0],
    ['500ms', 500],
    ['5s', 5000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    ['0.0005s', 1], // rounded to a whole millisecond
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
});

test('parseDuration: everything else is undefined', () => {
  for (const text of ['', '5', '10 s', ' 5s', '5s ', '-5s', '+5s', '5S', '5sec', '1d', '.5s', '5.s', 's', 'ms', '1e3ms', '5s\n', '0x10s', '1m-30s', '25d', '600h', 'NaNs', '9'.repeat(40) + 's']) {
    assert.equal(parseDuration(text), undefined, JSON.stringify(text));
  }
  assert.equal(parseDuration('596h'), 2_145_600_000);
  assert.equal(parseDuration('597h'), undefined); // beyond what a timer can wait
});

test('parseByteSize: counts and binary units', () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['1024', 1024],
    ['1k', 1024],
    ['1K', 1024],
    ['1kb', 1024],
    ['1Ki', 1024],
    ['1KiB', 1024],
    ['10m', 10 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1.5m', 1.5 * 1024 ** 2],
    ['100b', 100],
  ];
  for (const [text, bytes] of cases) assert.equal(parseByteSize(text), bytes, text);
});

test('parseByteSize: everything else is undefined', () => {
  for (const text of ['', '-1', '1.5', '1 k', 'k', '1t', '1kk', '1e6', ' 1k', '0x10', '1,000', '9'.repeat(40)]) {
    assert.equal(parseByteSize(text), undefined, JSON.stringify(text));
  }
  assert.equal(parseByteSize('99999999999g'), undefined); // beyond a safe integer
});

test('format helpers invert the parsers on round values', () => {
  for (const ms of [0, 1, 500, 1500, 5000, 60_000, 90_000, 3_600_000]) assert.equal(parseDuration(formatDuration(ms)), ms);
  for (const bytes of [0, 1, 1000, 1024, 1536, 10 * 1024 ** 2, 1024 ** 3]) assert.equal(parseByteSize(formatByteSize(bytes)), bytes);
  assert.equal(formatDuration(90_000), '90s');
  assert.equal(formatByteSize(10 * 1024 ** 2), '10m');
});
