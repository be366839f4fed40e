// The Date header for responses Gatehouse writes itself (Node's servers add it; the engine does
// not): one string per second, not one per response.
let cachedSecond = -1;
let cached = '';

export function httpDate(nowMs: number = Date.now()): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cached = new Date(second * 1000).toUTCString();
  }
  return cached;
}
