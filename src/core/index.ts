// The only barrel: the pure core's public surface.
export * from './model.ts';
export * from './diagnostics.ts';
export * from './policy.ts';
export * from './route-table.ts';
export * from './snapshot.ts';
