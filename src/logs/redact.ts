/**
 * Keeps credentials out of logs and mail (pure). Every line a run logs passes through
 * `redact`: AWS secret keys (as `aws_secret_access_key=…`, JSON/SDK fields, or a bare
 * 40-character key), session tokens, SigV4 signatures and presigned-URL parameters,
 * Authorization headers, passwords in URLs (`scheme://user:password@host`), and
 * `password=…`-style pairs. Known secret values (e.g. the SMTP password) can be given too.
 */

const mask = '***';

/** [pattern, replacement]: the replacement keeps the name and hides the value. */
const rules: Array<[RegExp, string]> = [
  // aws_secret_access_key = x, AWS_SECRET_ACCESS_KEY=x, aws_session_token: x (ini, env, shell)
  [/\b(aws_secret_access_key|aws_session_token|aws_security_token)(\s*[=:]\s*)(["']?)[^\s"',;]+\3/gi, `$1$2$3${mask}$3`],
  // "SecretAccessKey": "x", secretAccessKey: 'x', sessionToken=x (SDK objects, JSON)
  [/\b(secret_?access_?key|session_?token|password|passwd|pass|api_?key|secret)(["']?\s*[:=]\s*)(["'])((?:\\.|(?!\3).)*)\3/gi, `$1$2$3${mask}$3`],
  [/\b(secret_?access_?key|session_?token|password|passwd|api_?key)(\s*[:=]\s*)(?!["'])[^\s,;&]+/gi, `$1$2${mask}`],
  // SigV4 and presigned URLs
  [/\b(Signature|X-Amz-Signature|X-Amz-Security-Token|X-Amz-Credential)=[^&\s,"']+/g, `$1=${mask}`],
  // Authorization: Basic …, Bearer …
  [/\b(Authorization\s*[:=]\s*["']?(?:Basic|Bearer|Token)\s+)[^\s"']+/gi, `$1${mask}`],
  // scheme://user:password@host
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, `$1${mask}@`],
];

/** A bare AWS secret access key: 40 base64 characters with both cases, not part of a longer token. */
const bareSecretKey = /(?<![A-Za-z0-9/+=_-])(?=[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=_-]))(?=[^\s]*[a-z])(?=[^\s]*[A-Z])[A-Za-z0-9/+]{40}/g;

/** Returns `text` with credentials replaced by ***; `secrets` are exact values to hide wherever they appear. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join(mask);
  for (const [re, to] of rules) out = out.replace(re, to);
  return out.replace(bareSecretKey, mask);
}
