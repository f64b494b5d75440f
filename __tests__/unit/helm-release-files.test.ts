import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  helmReleaseFiles,
  parseChecksumFile,
  parseLatestVersion,
} from '../../src/helm/release-files.js';

describe('helmReleaseFiles', () => {
  it('names the get.helm.sh files for Linux, macOS and Windows', () => {
    const linux = helmReleaseFiles('https://get.helm.sh', '4.1.4', 'linux', 'x64');
    assert.equal(linux.archiveUrl, 'https://get.helm.sh/helm-v4.1.4-linux-amd64.tar.gz');
    assert.equal(linux.checksumUrl, 'https://get.helm.sh/helm-v4.1.4-linux-amd64.tar.gz.sha256sum');
    assert.equal(linux.binaryPath, 'linux-amd64/helm');
    assert.equal(
      helmReleaseFiles('http://m', '3.17.2', 'darwin', 'arm64').archiveUrl,
      'http://m/helm-v3.17.2-darwin-arm64.tar.gz',
    );
    const windows = helmReleaseFiles('http://m', '3.17.2', 'win32', 'x64');
    assert.equal(windows.archiveUrl, 'http://m/helm-v3.17.2-windows-amd64.zip');
    assert.equal(windows.binaryPath, 'windows-amd64/helm.exe');
  });
  it('refuses a platform Helm does not build for', () => {
    assert.throws(() => helmReleaseFiles('http://m', '3.17.2', 'aix', 'ppc64'), /no build/);
  });
});

describe('mirror file parsers', () => {
  it('reads a .sha256sum line and a latest-version file', () => {
    const hash = 'A'.repeat(64);
    assert.equal(
      parseChecksumFile(`${hash}  helm-v4.1.4-linux-amd64.tar.gz\n`),
      hash.toLowerCase(),
    );
    assert.equal(parseChecksumFile(hash), hash.toLowerCase());
    assert.equal(parseChecksumFile('<html>not found</html>'), undefined);
    assert.equal(parseLatestVersion('v4.1.4\n'), '4.1.4');
    assert.equal(parseLatestVersion('<html>'), undefined);
  });
});
