/**
 * Regression test for issue 9 §3 (stripped STARTTLS): with an SMTP login and `secure` false,
 * STARTTLS is required, so a server (or a man in the middle) that offers no STARTTLS never
 * receives the password; `smtp.allowPlaintextAuth` opts out for a trusted local relay.
 * Against a real smtp-server through the real binary (`backup email test`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SMTPServer } from 'smtp-server';
import { runCli } from './helpers/run-cli.js';
import { localWorld } from './helpers/local-world.js';

/** A server that offers no STARTTLS and accepts a plain-text login, recording every password it is sent. */
async function startPlainSmtp() {
  const passwords: string[] = [];
  let messages = 0;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      passwords.push(auth.password ?? '');
      cb(null, { user: auth.username });
    },
    onData(stream, _session, cb) {
      stream.resume();
      stream.on('end', () => {
        messages++;
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return { passwords, messages: () => messages, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

test('a login without STARTTLS on offer is refused before the password is sent; allowPlaintextAuth opts out', async (t) => {
  const smtp = await startPlainSmtp();
  t.after(smtp.close);
  const email = (extra: Record<string, unknown>) => ({ email: { to: 'ops@example.org', from: 'backup@example.org', smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: 'backup', passwordEnv: 'SMTP_PW', ...extra } } });
  const strict = localWorld(email({}));
  t.after(strict.done);
  const refused = await runCli(['email', 'test', '--config', strict.config], { env: { SMTP_PW: 'hunter2' } });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^backup: sending mail to ops@example\.org via 127\.0\.0\.1:\d+ failed: the server offered no STARTTLS, so the password was not sent; .*allowPlaintextAuth/);
  assert.deepEqual(smtp.passwords, [], 'the password never reached the server');
  assert.equal(smtp.messages(), 0);

  const relaxed = localWorld(email({ allowPlaintextAuth: true }));
  t.after(relaxed.done);
  const sent = await runCli(['email', 'test', '--config', relaxed.config], { env: { SMTP_PW: 'hunter2' } });
  assert.equal(sent.code, 0, sent.stderr);
  assert.deepEqual(smtp.passwords, ['hunter2']);
  assert.equal(smtp.messages(), 1);
});
