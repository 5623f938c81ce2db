export { createLocalGateway, DEFAULT_API_ID, DEFAULT_STAGE, executeApiArn, INTEGRATION_TIMEOUT_MS, isAllowed } from './gateway';
export type { GatewayKey, LocalGateway, LocalGatewayOptions, ProxyHandler } from './gateway';
export { GatewayError, gatewayErrorBody } from './errors';
export type { GatewayResponseType } from './errors';
export { EXECUTE_API_SERVICE, formatAmzDate, MAX_CLOCK_SKEW_MS, parseAmzDate, parseAuthorization, SignatureError, SigV4Verifier } from './sigv4';
export type { SignatureDiagnostics, SignatureFailure, SignedRequest, SigV4VerifierOptions, VerifierKey } from './sigv4';
export {
  generateAccessKeyId,
  generateSecretAccessKey,
  keyPairProblems,
  LOCAL_ACCOUNT_ID,
  LOCAL_ADMIN_ARN,
  LOCAL_READER_ARN,
  localKeysFrom,
  resolveLocalKeys,
} from './keys';
export type { KeyRole, LocalKey, LocalKeys, LocalKeyVariables } from './keys';
export { buildProxyEvent } from './event';
export type { ProxyEventInput } from './event';
export { collectHeaders, MAX_BODY_BYTES, parseQuery, readBody, splitTarget } from './request';
export type { HeaderField, Headers } from './request';
export { loadLocalApiConfig } from './config';
export type { LocalApiConfig } from './config';
export { describeLocalApi, localApiChildEnv, RECONCILE_INTERVAL_MS, scheduleReconcile, startLocalApi } from './run';
export type { CreateBackend, LocalApiBackend, RunningLocalApi, StartLocalApiOptions } from './run';

/** The entry to run as a child process instead (localstack/env ManagedProcess through tsx), with localApiChildEnv's variables. */
export const LOCAL_API_ENTRY = 'localstack/api/cli.ts';
export { signedFetch, signRequest } from './client';
export type { RequestToSign, SigningCredentials } from './client';
