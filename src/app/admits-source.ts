// explain's source-range answer: the data plane's own check (steps/source-range.ts), so the
// explanation and the 403 a client gets can never disagree. Compiled per call: explain is not a hot path.
import type { SourceRanges } from '../core/policy.ts';
import { compileSourceRanges } from '../dataplane/steps/source-range.ts';

export function admitsSource(ranges: SourceRanges, clientIp: string): boolean {
  return compileSourceRanges(ranges)?.admits(clientIp) ?? true;
}
