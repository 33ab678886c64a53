import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatUsd } from './format-usd.js';

test('a dollar and more shows cents with thousands separators', () => {
  assert.equal(formatUsd(1), '$1.00');
  assert.equal(formatUsd(12.345), '$12.35');
  assert.equal(formatUsd(1234.5), '$1,234.50');
});

test('less than a dollar shows four decimals, and what would round to nothing says so', () => {
  assert.equal(formatUsd(0.045), '$0.0450');
  assert.equal(formatUsd(0.0001), '$0.0001');
  assert.equal(formatUsd(0.00004), 'under $0.0001');
  assert.equal(formatUsd(0), '$0.00');
});

test('a negative amount keeps its sign', () => {
  assert.equal(formatUsd(-2.5), '-$2.50');
});
