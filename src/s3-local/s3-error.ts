/**
 * S3's error vocabulary. Every failure the S3 side of the server reports is an
 * S3Error, serialized as S3 does: an XML `<Error>` body with Code, Message, the
 * resource and any extra fields, and the status S3 documents for the code.
 */
import type { SigV4Error, SigV4Failure } from '../local-server/verify-sigv4.js';
import { xmlEscape } from './s3-xml.js';

/** An error answered to an S3 client. `fields` become extra elements of the XML body. */
export class S3Error extends Error {
  override readonly name = 'S3Error';
  readonly code: string;
  readonly status: number;
  readonly fields: Record<string, string>;

  constructor(status: number, code: string, message: string, fields: Record<string, string> = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.fields = fields;
  }

  /** The XML body S3 sends (HEAD responses carry none). */
  toXml(requestId: string): string {
    const extra = Object.entries(this.fields)
      .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
      .join('');
    return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${this.code}</Code><Message>${xmlEscape(this.message)}</Message>${extra}<RequestId>${requestId}</RequestId></Error>`;
  }
}

const sigV4: Record<SigV4Failure, [number, string]> = {
  'missing-authentication': [403, 'AccessDenied'],
  'incomplete-signature': [400, 'AuthorizationHeaderMalformed'],
  'unknown-access-key': [403, 'InvalidAccessKeyId'],
  'invalid-scope': [400, 'AuthorizationHeaderMalformed'],
  'clock-skew': [403, 'RequestTimeTooSkewed'],
  'signature-mismatch': [403, 'SignatureDoesNotMatch'],
};

/** A refused signature as S3 reports it. */
export function fromSigV4Error(err: SigV4Error): S3Error {
  const [status, code] = sigV4[err.reason];
  const message = err.reason === 'unknown-access-key' ? 'The AWS Access Key Id you provided does not exist in our records.' : err.message;
  return new S3Error(status, code, message);
}

/** 400 InvalidArgument naming the argument. */
export function invalidArgument(message: string, name?: string, value?: string): S3Error {
  const fields: Record<string, string> = {};
  if (name !== undefined) fields.ArgumentName = name;
  if (value !== undefined) fields.ArgumentValue = value;
  return new S3Error(400, 'InvalidArgument', message, fields);
}

/** 400 InvalidRequest. */
export function invalidRequest(message: string): S3Error {
  return new S3Error(400, 'InvalidRequest', message);
}

/** 404 NoSuchBucket. */
export function noSuchBucket(bucket: string): S3Error {
  return new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
}

/** 404 NoSuchKey. */
export function noSuchKey(key: string): S3Error {
  return new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
}

/** 404 NoSuchUpload. */
export function noSuchUpload(uploadId: string): S3Error {
  return new S3Error(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
}

/** 400 MalformedXML. */
export function malformedXml(): S3Error {
  return new S3Error(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
}
