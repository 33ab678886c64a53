/**
 * Masks secrets in a log line before it reaches a file, a terminal or an email: the
 * run log is mailed, so a credential echoed in an error message must not travel with it.
 */

const MASK = '****';

/** `aws_secret_access_key = …`, `AWS_SECRET_ACCESS_KEY=…`, `"secretAccessKey":"…"`: the 40-character key after the name. */
const AWS_SECRET = /((?:aws_secret_access_key|secretAccessKey)["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/gi;
/** `password=…` (also `SMTP_PASSWORD=…`, `passwd=…`) up to the next space, `&`, `;`, `,` or quote. */
const PASSWORD_ASSIGN = /(passw(?:or)?d\s*=\s*)[^\s&;,'"]+/gi;
/** `"password": "…"` as JSON prints it. */
const PASSWORD_JSON = /(passw(?:or)?d"\s*:\s*")[^"]*/gi;
/** `scheme://user:pass@host`: the password part. */
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:)[^\s/@]+@/gi;

/** SigV4 `Signature=<64 hex>` and whole `Authorization` header values. */
const SIGNATURE = /(Signature=)[0-9a-f]{64}/gi;
const AUTHORIZATION = /(authorization["']?\s*[:=]\s*["']?)[^"'\n]+/gi;
/** Session tokens: `aws_session_token=…`, `sessionToken: …`, `X-Amz-Security-Token=…`. */
const SESSION_TOKEN = /((?:aws_session_token|sessionToken|x-amz-security-token)["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=%]+/gi;

/** Returns the line with AWS secret keys, session tokens, request signatures, `password=` values and URL passwords replaced by `****`. */
export function redact(line: string): string {
  return line
    .replace(AWS_SECRET, `$1${MASK}`)
    .replace(PASSWORD_ASSIGN, `$1${MASK}`)
    .replace(PASSWORD_JSON, `$1${MASK}`)
    .replace(URL_USERINFO, `$1${MASK}@`)
    .replace(SIGNATURE, `$1${MASK}`)
    .replace(AUTHORIZATION, `$1${MASK}`)
    .replace(SESSION_TOKEN, `$1${MASK}`);
}
