/**
 * Heartbeat pings in the healthchecks.io style, so a monitoring service notices when the
 * nightly run stops happening: `GET URL/start` when a run starts, `POST URL` when it
 * succeeds and `POST URL/fail` when it fails, with the run's summary line as the body.
 * A ping never fails the run: each has a short timeout and its failure is returned as a line.
 */

/** Which moment of the run a ping reports. */
export type PingKind = 'start' | 'success' | 'fail';

/** How long one ping may take before it is given up. */
export const PING_TIMEOUT_MS = 10_000;

/** The URL a ping of `kind` goes to. */
export function pingTarget(url: string, kind: PingKind): string {
  if (kind === 'success') return url;
  const u = new URL(url);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/${kind}`;
  return u.toString();
}

/** Sends one ping; resolves to undefined when the service answered 2xx, else to a one-line reason. Never rejects. */
export async function sendPing(url: string, kind: PingKind, body?: string, timeoutMs = PING_TIMEOUT_MS): Promise<string | undefined> {
  const target = pingTarget(url, kind);
  try {
    const res = await fetch(target, {
      method: kind === 'start' ? 'GET' : 'POST',
      ...(kind === 'start' ? {} : { body: body ?? '', headers: { 'content-type': 'text/plain; charset=utf-8' } }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    return res.ok ? undefined : `ping ${kind} to ${new URL(target).host} answered ${res.status} ${res.statusText}`.trim();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return `ping ${kind} to ${safeHost(target)} failed: ${why}`;
  }
}

/** The host of a URL, for messages: the path of a ping URL is its secret. */
function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the ping URL';
  }
}
