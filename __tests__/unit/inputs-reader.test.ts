import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withoutLeadingV } from '../../src/inputs/reader.js';
import { readerOf } from './fake-inputs.js';

describe('InputReader', () => {
  it('trims text and reports a required input left empty', () => {
    const reader = readerOf({ release: '  lily  ', blank: ' \n' });
    assert.equal(reader.text('release'), 'lily');
    assert.equal(reader.required('blank'), '');
    assert.deepEqual(reader.errors, ["Input 'blank' is required"]);
  });

  it('takes three spellings of each boolean, and the fallback for anything else', () => {
    const reader = readerOf({ a: 'True', b: 'FALSE', c: 'yes' });
    assert.equal(reader.bool('a', false), true);
    assert.equal(reader.bool('b', true), false);
    assert.equal(reader.bool('unset', true), true);
    assert.equal(reader.bool('c', true), true);
    assert.deepEqual(reader.errors, ["Input 'c' is 'yes'; allowed: true, false"]);
  });

  it('reads counts and durations, naming the input and the range when they are out of it', () => {
    const reader = readerOf({ lines: '0', grace: '90s', timeout: '600' });
    assert.equal(reader.count('unset', 3, 10), 3);
    reader.count('lines', 200, 100);
    assert.deepEqual(reader.duration('grace', '1m'), { text: '90s', ms: 90_000 });
    reader.duration('timeout', '10m');
    assert.deepEqual(reader.errors, [
      "Input 'lines' is '0'; allowed: a whole number from 1 to 100",
      "Input 'timeout' is '600'; allowed: a Go duration above zero such as 10m, 90s or 1h30m",
    ]);
  });

  it('accepts http and https URLs only', () => {
    const reader = readerOf({});
    assert.equal(reader.httpUrl('a', 'https://charts.example/x'), 'https://charts.example/x');
    reader.httpUrl('b', 'http://10.0.0.1:8080');
    reader.httpUrl('c', 'ftp://mirror');
    reader.httpUrl('d', 'charts.example.com');
    assert.deepEqual(reader.errors, [
      "Input 'c' is 'ftp://mirror'; allowed: an http:// or https:// URL",
      "Input 'd' is 'charts.example.com'; allowed: an http:// or https:// URL",
    ]);
  });

  it('collects the secrets it is given, in order', () => {
    const reader = readerOf({});
    reader.secret('one');
    reader.secret('two', 'three');
    assert.deepEqual(reader.secrets, ['one', 'two', 'three']);
  });
});

describe('withoutLeadingV', () => {
  it('drops a v before a digit only', () => {
    assert.equal(withoutLeadingV('v3.17.2'), '3.17.2');
    assert.equal(withoutLeadingV('3.17.2'), '3.17.2');
    assert.equal(withoutLeadingV('vnext'), 'vnext');
    assert.equal(withoutLeadingV('latest'), 'latest');
  });
});
