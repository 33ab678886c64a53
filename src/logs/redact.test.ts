import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redact } from './redact.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

test('AWS secret keys are masked after each of their usual names', () => {
  assert.equal(redact(`aws_secret_access_key = ${SECRET}`), 'aws_secret_access_key = ****');
  assert.equal(redact(`env AWS_SECRET_ACCESS_KEY=${SECRET} backup run`), 'env AWS_SECRET_ACCESS_KEY=**** backup run');
  assert.equal(redact(`credentials {"accessKeyId":"AKIA","secretAccessKey":"${SECRET}"}`), 'credentials {"accessKeyId":"AKIA","secretAccessKey":"****"}');
  assert.equal(redact(`SecretAccessKey: ${SECRET}`), 'SecretAccessKey: ****');
  assert.doesNotMatch(redact(`x aws_secret_access_key=${SECRET} y`), /EXAMPLEKEY/);
});

test('a 40-character hex digest not named as a secret is left alone', () => {
  const sha1 = 'a'.repeat(40);
  assert.equal(redact(`tree hash ${sha1}`), `tree hash ${sha1}`);
});

test('password= values are masked up to the next separator', () => {
  assert.equal(redact('connect host=smtp password=hunter2 port=587'), 'connect host=smtp password=**** port=587');
  assert.equal(redact('SMTP_PASSWORD=s3cr3t;next'), 'SMTP_PASSWORD=****;next');
  assert.equal(redact('?user=a&Password=x%20y&z=1'), '?user=a&Password=****&z=1');
  assert.equal(redact('{"user":"a","password":"p w"}'), '{"user":"a","password":"****"}');
});

test('the password in a URL is masked, the user and host kept', () => {
  assert.equal(redact('smtp://backup:pa55@mail.example.com:587 refused'), 'smtp://backup:****@mail.example.com:587 refused');
  assert.equal(redact('GET https://u:p@h/x and http://h2/y'), 'GET https://u:****@h/x and http://h2/y');
  assert.equal(redact('see https://example.com/a:b@c'), 'see https://example.com/a:b@c');
});

test('lines without secrets come back unchanged', () => {
  const line = 'archive 3 uploaded in 12.0 s: archive ID abc-DEF_123, user@example.com';
  assert.equal(redact(line), line);
});

test('request signatures, Authorization headers and session tokens are masked', () => {
  const line = redact(`Authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=${'a'.repeat(64)} aws_session_token=FQoGZXIvYXdzEJr//token+=`);
  assert.doesNotMatch(line, /aaaaaaaa|FQoGZX/);
  assert.match(redact(`X-Amz-Signature=... Signature=${'b'.repeat(64)}`), /Signature=\*\*\*\*/);
});
