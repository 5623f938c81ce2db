export { DependencyCache } from './dependency-cache';
export type { DependencyCacheOptions, DependencySource, Lease } from './dependency-cache';
