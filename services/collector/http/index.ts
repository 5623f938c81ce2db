export { CollectorHttpServer } from './server';
export type { HttpEndpoints, Readiness } from './server';
