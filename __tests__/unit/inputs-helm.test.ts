import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_HELM_VERSION, parseHelm } from '../../src/inputs/helm.js';
import { parseGroup } from './fake-inputs.js';

describe('parseHelm', () => {
  it('installs the tested Helm from get.helm.sh and applies the release as helm decides', () => {
    const { parsed, errors } = parseGroup(parseHelm, {});
    assert.deepEqual(errors, []);
    assert.deepEqual(parsed, {
      helm: {
        version: DEFAULT_HELM_VERSION,
        downloadBaseUrl: 'https://get.helm.sh',
        sha256: undefined,
      },
      serverSide: 'auto',
      extraArgs: [],
    });
  });

  it('drops the leading v, trailing slashes of the mirror, and the case of the checksum', () => {
    const { parsed, errors } = parseGroup(parseHelm, {
      'helm-version': 'v3.17.2',
      'helm-download-base-url': 'https://mirror.example/helm//',
      'helm-sha256': 'AB'.repeat(32),
      'server-side': 'false',
      'extra-args': `--description 'two words'`,
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(parsed, {
      helm: {
        version: '3.17.2',
        downloadBaseUrl: 'https://mirror.example/helm',
        sha256: 'ab'.repeat(32),
      },
      serverSide: 'false',
      extraArgs: ['--description', 'two words'],
    });
  });

  it('refuses server-side true with Helm 3', () => {
    const { errors } = parseGroup(parseHelm, { 'helm-version': '3.17.2', 'server-side': 'true' });
    assert.deepEqual(errors, [
      "Input 'server-side' is 'true', but helm-version is v3.17.2 and Helm 3 applies client-side only; allowed with Helm 3: auto, false",
    ]);
  });

  it('reports each bad input with what was given', () => {
    const { parsed, errors } = parseGroup(parseHelm, {
      'helm-version': 'v2.17.0',
      'helm-download-base-url': 'ftp://mirror/',
      'helm-sha256': 'abc123',
      'server-side': 'maybe',
      'extra-args': `--set a='b`,
    });
    assert.deepEqual(parsed.extraArgs, []);
    assert.deepEqual(errors, [
      "Input 'helm-version' is '2.17.0'; allowed: a Helm 3 or 4 release such as v3.17.2 or v4.1.4, or 'latest'",
      "Input 'helm-download-base-url' is 'ftp://mirror'; allowed: an http:// or https:// URL",
      "Input 'helm-sha256' is 'abc123'; allowed: 64 hexadecimal characters",
      "Input 'server-side' is 'maybe'; allowed: auto, true, false",
      "Input 'extra-args' has an unterminated ' quote",
    ]);
  });
});
