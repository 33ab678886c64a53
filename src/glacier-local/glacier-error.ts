/**
 * Glacier's error vocabulary. Every failure the server reports is a GlacierError,
 * serialized as AWS does: a JSON body `{"code","message","type"}` with the status
 * from the "Error Responses" table of the Glacier Developer Guide.
 */
import type { SigV4Error, SigV4Failure } from '../local-server/verify-sigv4.js';

/** The error codes this server can return (the Developer Guide's table, plus the SigV4 layer's IncompleteSignatureException). */
export type GlacierErrorCode =
  | 'AccessDeniedException'
  | 'BadRequest'
  | 'IncompleteSignatureException'
  | 'InvalidParameterValueException'
  | 'InvalidSignatureException'
  | 'LimitExceededException'
  | 'MissingAuthenticationTokenException'
  | 'MissingParameterValueException'
  | 'RequestTimeoutException'
  | 'ResourceNotFoundException'
  | 'SerializationException'
  | 'ServiceUnavailableException'
  | 'ThrottlingException'
  | 'UnrecognizedClientException';

/** HTTP status per code, as documented for Glacier. */
const statusFor: Record<GlacierErrorCode, number> = {
  AccessDeniedException: 403,
  BadRequest: 400,
  IncompleteSignatureException: 400,
  InvalidParameterValueException: 400,
  InvalidSignatureException: 403,
  LimitExceededException: 400,
  MissingAuthenticationTokenException: 400,
  MissingParameterValueException: 400,
  RequestTimeoutException: 408,
  ResourceNotFoundException: 404,
  SerializationException: 400,
  ServiceUnavailableException: 500,
  ThrottlingException: 400,
  UnrecognizedClientException: 400,
};

/** An error answered to the client; `status` defaults to the documented one for `code`. */
export class GlacierError extends Error {
  override readonly name = 'GlacierError';
  readonly code: GlacierErrorCode;
  readonly status: number;

  constructor(code: GlacierErrorCode, message: string, status?: number) {
    super(message);
    this.code = code;
    this.status = status ?? statusFor[code];
  }

  /** "Client" for 4xx, "Server" for 5xx, as in Glacier's error bodies. */
  get type(): 'Client' | 'Server' {
    return this.status >= 500 ? 'Server' : 'Client';
  }

  /** The JSON body Glacier sends. */
  toJSON(): { code: string; message: string; type: string } {
    return { code: this.code, message: this.message, type: this.type };
  }
}

const sigV4Codes: Record<SigV4Failure, GlacierErrorCode> = {
  'missing-authentication': 'MissingAuthenticationTokenException',
  'incomplete-signature': 'IncompleteSignatureException',
  'unknown-access-key': 'UnrecognizedClientException',
  'invalid-scope': 'InvalidSignatureException',
  'clock-skew': 'InvalidSignatureException',
  'signature-mismatch': 'InvalidSignatureException',
};

/** A refused signature as Glacier reports it. */
export function fromSigV4Error(err: SigV4Error): GlacierError {
  return new GlacierError(sigV4Codes[err.reason], err.message);
}

/** InvalidParameterValueException with `message`. */
export function invalidParameter(message: string): GlacierError {
  return new GlacierError('InvalidParameterValueException', message);
}

/** MissingParameterValueException naming the header or field. */
export function missingParameter(what: string): GlacierError {
  return new GlacierError('MissingParameterValueException', `Required parameter is missing: ${what}`);
}

/** ResourceNotFoundException with `message`. */
export function notFound(message: string): GlacierError {
  return new GlacierError('ResourceNotFoundException', message);
}
