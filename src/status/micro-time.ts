// Kubernetes MicroTime (Lease renewTime, Event eventTime) is RFC 3339 with exactly six fractional
// digits; the API server rejects the three digits Date#toISOString gives.

export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
