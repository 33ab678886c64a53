/**
 * Decodes the `aws-chunked` content encoding the AWS SDKs use for streaming uploads:
 *
 *   <hex size>[;chunk-signature=<sig>]\r\n<data>\r\n … 0[;chunk-signature=<sig>]\r\n
 *   [<trailer>:<value>\r\n … [x-amz-trailer-signature:<sig>\r\n]]\r\n
 *
 * With a signing context (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) every chunk's
 * signature is checked against the chain seeded by the request's signature, and the
 * trailer's signature too, as S3 does; unsigned streams
 * (STREAMING-UNSIGNED-PAYLOAD-TRAILER) carry no signatures. Data is passed through
 * as it arrives (never buffered beyond one header line). Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import { EMPTY_SHA256, sha256Hex, signature } from '../local-server/verify-sigv4.js';
import { S3Error } from './s3-error.js';

/** What chunk signatures are checked against. */
export interface ChunkSigning {
  secretAccessKey: string;
  /** The request's x-amz-date (ISO 8601 basic). */
  longDate: string;
  scopeDate: string;
  region: string;
  service: string;
  /** The Authorization header's signature: the chain's seed. */
  seedSignature: string;
}

const MAX_LINE = 8192;

type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

/** An incremental decoder. Feed it with update(); end() checks the stream was complete and returns the trailers. */
export class AwsChunkedDecoder {
  private state: State = 'size';
  private line = Buffer.alloc(0);
  private remaining = 0;
  private chunkSignature: string | undefined;
  private chunkHash = createHash('sha256');
  private previousSignature: string;
  private readonly trailerLines: string[] = [];
  private readonly trailers = new Map<string, string>();
  private trailerSignature: string | undefined;
  /** Decoded bytes so far. */
  decodedBytes = 0;

  constructor(private readonly signing: ChunkSigning | undefined) {
    this.previousSignature = signing?.seedSignature ?? '';
  }

  /** Decodes `input`, calling `emit` with each slice of payload data in order. */
  update(input: Buffer, emit: (data: Buffer) => void): void {
    let i = 0;
    while (i < input.length) {
      if (this.state === 'data') {
        const n = Math.min(this.remaining, input.length - i);
        const data = input.subarray(i, i + n);
        if (this.signing) this.chunkHash.update(data);
        this.decodedBytes += n;
        emit(data);
        this.remaining -= n;
        i += n;
        if (this.remaining === 0) this.state = 'data-end';
        continue;
      }
      if (this.state === 'done') throw incomplete('data after the final aws-chunked chunk');
      const nl = input.indexOf(0x0a, i);
      const end = nl < 0 ? input.length : nl + 1;
      this.line = Buffer.concat([this.line, input.subarray(i, end)]);
      i = end;
      if (this.line.length > MAX_LINE) throw incomplete('an aws-chunked header line is too long');
      if (nl < 0) continue;
      const text = this.line.toString('latin1');
      this.line = Buffer.alloc(0);
      if (!text.endsWith('\r\n')) throw incomplete('aws-chunked lines must end with CRLF');
      this.onLine(text.slice(0, -2));
    }
  }

  /** Checks the stream ended after its final chunk and trailers; returns the trailers by lowercase name. */
  end(): Map<string, string> {
    if (this.state !== 'done') throw incomplete('The request body terminated unexpectedly');
    return this.trailers;
  }

  private onLine(text: string): void {
    switch (this.state) {
      case 'size': {
        const m = /^([0-9a-fA-F]{1,16})(?:;chunk-signature=([0-9a-f]{64}))?$/.exec(text);
        if (!m) throw incomplete(`malformed aws-chunked chunk header ${JSON.stringify(text.slice(0, 100))}`);
        if (this.signing && m[2] === undefined) throw new S3Error(403, 'SignatureDoesNotMatch', 'A chunk of a signed streaming upload has no chunk-signature');
        this.remaining = parseInt(m[1], 16);
        this.chunkSignature = m[2];
        this.chunkHash = createHash('sha256');
        if (this.remaining === 0) {
          this.checkChunkSignature(EMPTY_SHA256);
          this.state = 'trailer';
        } else this.state = 'data';
        return;
      }
      case 'data-end':
        if (text !== '') throw incomplete('an aws-chunked chunk is longer than its declared size');
        this.checkChunkSignature(this.chunkHash.digest('hex'));
        this.state = 'size';
        return;
      case 'trailer': {
        if (text === '') {
          this.checkTrailerSignature();
          this.state = 'done';
          return;
        }
        const colon = text.indexOf(':');
        if (colon <= 0) throw incomplete(`malformed aws-chunked trailer ${JSON.stringify(text.slice(0, 100))}`);
        const name = text.slice(0, colon).trim().toLowerCase();
        const value = text.slice(colon + 1).trim();
        if (name === 'x-amz-trailer-signature') this.trailerSignature = value;
        else {
          this.trailers.set(name, value);
          this.trailerLines.push(`${name}:${value}\n`);
        }
        return;
      }
      default:
        throw incomplete('unexpected aws-chunked line');
    }
  }

  private checkChunkSignature(dataHash: string): void {
    if (!this.signing) return;
    const s = this.signing;
    const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', s.longDate, this.scope(), this.previousSignature, EMPTY_SHA256, dataHash].join('\n');
    const expected = signature(s.secretAccessKey, s.scopeDate, s.region, s.service, toSign);
    if (expected !== this.chunkSignature) {
      throw new S3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided (aws-chunked chunk signature).');
    }
    this.previousSignature = expected;
  }

  private checkTrailerSignature(): void {
    if (!this.signing || this.trailerLines.length === 0) return;
    const s = this.signing;
    if (this.trailerSignature === undefined) throw new S3Error(403, 'SignatureDoesNotMatch', 'The trailer of a signed streaming upload has no x-amz-trailer-signature');
    const toSign = ['AWS4-HMAC-SHA256-TRAILER', s.longDate, this.scope(), this.previousSignature, sha256Hex(this.trailerLines.join(''))].join('\n');
    const expected = signature(s.secretAccessKey, s.scopeDate, s.region, s.service, toSign);
    if (expected !== this.trailerSignature) {
      throw new S3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided (aws-chunked trailer signature).');
    }
  }

  private scope(): string {
    const s = this.signing!;
    return `${s.scopeDate}/${s.region}/${s.service}/aws4_request`;
  }
}


function incomplete(message: string): S3Error {
  return new S3Error(400, 'IncompleteBody', message);
}
