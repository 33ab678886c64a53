import { serveRequests } from '../serve-requests.js';

export type TestRequest = { echo: number; bytes?: ArrayBuffer } | { fail: string; code?: string } | { exit: number };

serveRequests(
  (q: TestRequest) => {
    if ('fail' in q) throw Object.assign(new Error(q.fail), { code: q.code });
    if ('exit' in q) process.exit(q.exit);
    return { echo: q.echo, bytes: q.bytes?.byteLength ?? 0 };
  },
  () => [],
);
