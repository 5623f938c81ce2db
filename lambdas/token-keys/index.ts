export { createRotationHandler, handler, KeyRotationError, SIGNING_KEY_LENGTH } from './rotate';
export type { RotationEvent } from './rotate';
