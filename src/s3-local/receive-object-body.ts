/**
 * Receives a PutObject or UploadPart body into a file, decoding aws-chunked streams,
 * and verifies everything the client declared about it as S3 does: the payload hash
 * of x-amz-content-sha256, Content-MD5, an x-amz-checksum-* header or trailer, and
 * x-amz-decoded-content-length. Nothing is held in memory; on any failure the file
 * is removed.
 */
import type { IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { ConnectionResetByFault } from '../local-server/http-bodies.js';
import { AwsChunkedDecoder } from './aws-chunked-decoder.js';
import type { ChunkSigning } from './aws-chunked-decoder.js';
import { S3Error, invalidArgument, invalidRequest } from './s3-error.js';
import { checksumAlgorithm, checksumHeader, isWellFormedChecksum, newChecksummer, CHECKSUM_ALGORITHMS } from './s3-checksums.js';
import type { ChecksumAlgorithm } from './s3-checksums.js';

/** What was received. */
export interface ReceivedObject {
  size: number;
  md5Hex: string;
  /** The checksum of `algorithm` computed over the body (verified against what the client sent, if it sent one). */
  checksum: { algorithm: ChecksumAlgorithm; value: string } | undefined;
}

/** How to receive one body. */
export interface ReceiveObjectOptions {
  /** Request headers by lowercase name (single values). */
  header: (name: string) => string | undefined;
  /** Chunk signing context, for STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER). */
  signing: ChunkSigning | undefined;
  /** The algorithm to compute when the request names none (a multipart upload's). */
  defaultAlgorithm: ChecksumAlgorithm | undefined;
  /** Larger bodies fail with EntityTooLarge. */
  maxBytes: number;
  /** Destroy the connection once this many bytes arrived (fault injection). */
  resetAfterBytes?: number;
  /** Called with the size of every received chunk (statistics). */
  onBytes?: (n: number) => void;
}

const STREAMING = new Set(['STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER']);

/** Streams `req`'s body into `path` (created). */
export async function receiveObjectBody(req: IncomingMessage, path: string, opts: ReceiveObjectOptions): Promise<ReceivedObject> {
  const declared = opts.header('x-amz-content-sha256') ?? '';
  const chunked = STREAMING.has(declared);
  const trailerNames = (opts.header('x-amz-trailer') ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  const { algorithm, expected } = declaredChecksum(opts, trailerNames);
  const contentMd5 = opts.header('content-md5');
  if (contentMd5 !== undefined && Buffer.from(contentMd5, 'base64').length !== 16) {
    throw new S3Error(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.', { 'Content-MD5': contentMd5 });
  }
  let decodedLength: number | undefined;
  if (chunked) {
    const raw = opts.header('x-amz-decoded-content-length');
    if (raw === undefined) throw new S3Error(411, 'MissingContentLength', 'You must provide the x-amz-decoded-content-length header for an aws-chunked upload.');
    decodedLength = Number(raw);
    if (!/^\d+$/.test(raw)) throw invalidArgument('x-amz-decoded-content-length must be a number of bytes', 'x-amz-decoded-content-length', raw);
    if (decodedLength > opts.maxBytes) throw tooLarge(opts.maxBytes);
    if (declared !== 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' && trailerNames.length === 0) {
      throw invalidRequest(`${declared} requires an x-amz-trailer header naming the trailing checksum`);
    }
  } else {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > opts.maxBytes) throw tooLarge(opts.maxBytes);
  }

  const fh = await open(path, 'wx');
  const md5 = createHash('md5');
  const sha = !chunked && declared !== 'UNSIGNED-PAYLOAD' ? createHash('sha256') : undefined;
  const sum = algorithm ? newChecksummer(algorithm) : undefined;
  const decoder = chunked ? new AwsChunkedDecoder(opts.signing) : undefined;
  let received = 0;
  let size = 0;
  // a failure mid-body is kept until the body has been read, so it can be answered on the connection
  let failure: Error | undefined;
  try {
    for await (const chunk of req) {
      const input = chunk as Buffer;
      opts.onBytes?.(input.length);
      received += input.length;
      if (opts.resetAfterBytes !== undefined && received >= opts.resetAfterBytes) {
        req.socket?.destroy();
        throw new ConnectionResetByFault('connection reset by fault injection');
      }
      if (failure !== undefined) continue;
      try {
        const slices: Buffer[] = [];
        if (decoder) decoder.update(input, (d) => slices.push(d));
        else slices.push(input);
        for (const data of slices) {
          size += data.length;
          if (size > opts.maxBytes) throw tooLarge(opts.maxBytes);
          md5.update(data);
          sha?.update(data);
          sum?.update(data);
          await fh.write(data);
        }
      } catch (err) {
        failure = err instanceof Error ? err : new Error(String(err));
      }
    }
    if (failure !== undefined) throw failure;
    await fh.close();
    let expectedValue = expected;
    if (decoder) {
      const trailers = decoder.end();
      if (size !== decodedLength) throw new S3Error(400, 'IncompleteBody', `You did not provide the number of bytes specified by x-amz-decoded-content-length (${decodedLength}); got ${size}`);
      if (algorithm && trailerNames.includes(checksumHeader(algorithm))) {
        expectedValue = trailers.get(checksumHeader(algorithm));
        if (expectedValue === undefined) throw invalidRequest(`The trailer ${checksumHeader(algorithm)} announced in x-amz-trailer is missing`);
        if (!isWellFormedChecksum(algorithm, expectedValue)) throw invalidRequest(`Value for ${checksumHeader(algorithm)} trailing header is invalid.`);
      }
    }
    if (sha) {
      const computed = sha.digest('hex');
      if (computed !== declared.toLowerCase()) {
        throw new S3Error(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", {
          ClientComputedContentSHA256: declared,
          S3ComputedContentSHA256: computed,
        });
      }
    }
    const md5Digest = md5.digest();
    if (contentMd5 !== undefined && !md5Digest.equals(Buffer.from(contentMd5, 'base64'))) {
      throw new S3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.', {
        ExpectedDigest: Buffer.from(contentMd5, 'base64').toString('hex'),
        CalculatedDigest: md5Digest.toString('base64'),
      });
    }
    const value = sum?.digest();
    if (expectedValue !== undefined && value !== expectedValue) {
      throw new S3Error(400, 'BadDigest', `The ${algorithm!.toLowerCase()} you specified did not match the calculated checksum.`);
    }
    return { size, md5Hex: md5Digest.toString('hex'), checksum: algorithm && value ? { algorithm, value } : undefined };
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(path, { force: true });
    throw err;
  }
}

/** The checksum algorithm of the request and the value it declared in a header (trailers come later). */
function declaredChecksum(opts: ReceiveObjectOptions, trailerNames: readonly string[]): { algorithm: ChecksumAlgorithm | undefined; expected: string | undefined } {
  if (opts.header('x-amz-checksum-crc64nvme') !== undefined || trailerNames.includes('x-amz-checksum-crc64nvme')) {
    throw invalidRequest('This server does not implement the CRC64NVME checksum; use CRC32, CRC32C, SHA1 or SHA256.');
  }
  const inHeaders = CHECKSUM_ALGORITHMS.filter((a) => opts.header(checksumHeader(a)) !== undefined);
  const inTrailer = CHECKSUM_ALGORITHMS.filter((a) => trailerNames.includes(checksumHeader(a)));
  if (inHeaders.length + inTrailer.length > 1) throw invalidRequest('Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  const sdkName = opts.header('x-amz-sdk-checksum-algorithm');
  const sdkAlgorithm = sdkName === undefined ? undefined : checksumAlgorithm(sdkName);
  if (sdkName !== undefined && sdkAlgorithm === undefined) throw invalidArgument(`Value for x-amz-sdk-checksum-algorithm header is invalid.`, 'x-amz-sdk-checksum-algorithm', sdkName);
  const named = inHeaders[0] ?? inTrailer[0];
  if (sdkAlgorithm !== undefined && named !== undefined && sdkAlgorithm !== named) {
    throw new S3Error(400, 'InvalidRequest', `x-amz-sdk-checksum-algorithm specified (${sdkAlgorithm}) does not match the checksum header or trailer provided (${named}).`);
  }
  const algorithm = named ?? sdkAlgorithm ?? opts.defaultAlgorithm;
  let expected: string | undefined;
  if (inHeaders[0] !== undefined) {
    expected = opts.header(checksumHeader(inHeaders[0]))!;
    if (!isWellFormedChecksum(inHeaders[0], expected)) throw invalidRequest(`Value for ${checksumHeader(inHeaders[0])} header is invalid.`);
  }
  return { algorithm, expected };
}

function tooLarge(max: number): S3Error {
  return new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { MaxSizeAllowed: String(max) });
}
