import { CollectorError } from '../../services/shared/errors';

/**
 * API Gateway's gateway response types the local gateway can produce. The CDK
 * gives these responses the API's error shape, so the local gateway writes them
 * the same way: `{"error":{"code":"<type>","message":"..."}}`.
 */
export type GatewayResponseType =
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'INVALID_SIGNATURE'
  | 'ACCESS_DENIED'
  | 'REQUEST_TOO_LARGE'
  | 'INTEGRATION_TIMEOUT'
  | 'INTERNAL_ERROR';

const STATUS: Record<GatewayResponseType, number> = {
  MISSING_AUTHENTICATION_TOKEN: 403,
  INVALID_SIGNATURE: 403,
  ACCESS_DENIED: 403,
  REQUEST_TOO_LARGE: 413,
  INTEGRATION_TIMEOUT: 504,
  // A Lambda proxy integration that throws or answers garbage is a 502 at API Gateway.
  INTERNAL_ERROR: 502,
};

/** A request the gateway answers itself, without calling the handler. */
export class GatewayError extends CollectorError {
  declare readonly code: GatewayResponseType;
  readonly statusCode: number;

  constructor(code: GatewayResponseType, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.statusCode = STATUS[code];
  }
}

/** The body API Gateway answers (in the project's error shape). */
export function gatewayErrorBody(error: GatewayError): string {
  return JSON.stringify({ error: { code: error.code, message: error.message } });
}
