// The only barrel: the pure core's public surface.
export * from './model.ts';
export * from './diagnostics.ts';
export * from './policy.ts';
export * from './route-table.ts';
export * from './snapshot.ts';
export * from './build-route-table.ts';
export * from './diagnostic-codes.ts';
export * from './host-match.ts';
export * from './path-match.ts';
export { CONTROLLER_DEFAULT_POLICY } from './resolve-default-backends.ts';
export { checkIngressHost } from './check-ingress-host.ts';
export { compareIngressAge } from './ingress-age.ts';
export { resolveRequest, type RequestTarget } from './resolve-request.ts';
export { explainRequest, type Explanation, type ExplainInput, type ExplainContext } from './explain-request.ts';
export { diffRouteTables, type RouteTableDiff } from './diff-route-tables.ts';
