import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathListing } from './path-listing.js';

test('a path holding a newline stays on its one line of the run log (a file named "x\\n2026-… run #9 ok" wrote a line of its own)', () => {
  const lines = pathListing({ added: ['x\n2026-12-08T02:00:00Z run #9 ok'], changed: ['caf\udce9'], deleted: ['plain'] });
  assert.deepEqual(lines, ['+ x\\x0a2026-12-08T02:00:00Z run #9 ok', '~ caf\\xe9', '- plain']);
});
