import * as core from '@actions/core';
import * as tc from '@actions/tool-cache';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { arch, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startedEarly } from '../background.js';
import { downloadFile, downloadText } from './download.js';
import {
  helmReleaseFiles,
  latestVersionUrl,
  parseChecksumFile,
  parseLatestVersion,
} from './release-files.js';
import type { HelmInstallSettings } from '../settings.js';
import { cacheToolDir } from './tool-cache-entry.js';

export interface InstalledHelm {
  /** Absolute path of the helm binary. */
  binary: string;
  /** Without the leading v. */
  version: string;
  fromCache: boolean;
}

/**
 * Puts the wanted helm in the tool cache (downloaded and checksum-verified on a
 * miss; no network at all on a hit for an exact version) and on PATH.
 */
export async function installHelm(settings: HelmInstallSettings): Promise<InstalledHelm> {
  const version =
    settings.version === 'latest'
      ? await resolveLatestVersion(settings.downloadBaseUrl)
      : settings.version;
  const files = helmReleaseFiles(settings.downloadBaseUrl, version, process.platform, arch());
  const binaryName = basename(files.binaryPath);

  const cached = tc.find('helm', version);
  if (cached) {
    core.info(`Helm v${version} found in the tool cache (${cached}): nothing downloaded`);
    core.addPath(cached);
    return { binary: join(cached, binaryName), version, fromCache: true };
  }

  const work = await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), 'lily-deploy-helm-'));
  try {
    const archive = join(work, basename(files.archiveUrl));
    // The published checksum is fetched while the archive downloads.
    const expectedSum = settings.sha256
      ? Promise.resolve(settings.sha256)
      : startedEarly(publishedChecksum(files.checksumUrl));
    core.info(`Downloading ${files.archiveUrl}`);
    const actual = await downloadFile(files.archiveUrl, archive);
    const expected = await expectedSum;
    const source = settings.sha256 ? "input 'helm-sha256'" : files.checksumUrl;
    if (actual !== expected) {
      throw new Error(
        `Checksum mismatch for ${files.archiveUrl}: expected ${expected} (from ${source}), got ${actual}. ` +
          'Nothing was installed or cached.',
      );
    }
    core.info(`sha256 ${actual} verified against ${source}`);

    const extracted = files.isZip
      ? await tc.extractZip(archive, join(work, 'extracted'))
      : await tc.extractTar(archive, join(work, 'extracted'));
    const binaryDir = join(extracted, files.platform);
    if (!existsSync(join(binaryDir, binaryName))) {
      throw new Error(
        `${files.archiveUrl} has no ${files.binaryPath}; is the download base URL a Helm mirror?`,
      );
    }
    const cachedDir = await cacheToolDir(binaryDir, 'helm', version, binaryName, { move: true });
    core.addPath(cachedDir);
    return { binary: join(cachedDir, binaryName), version, fromCache: false };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function resolveLatestVersion(baseUrl: string): Promise<string> {
  const url = latestVersionUrl(baseUrl);
  const version = parseLatestVersion(await downloadText(url));
  if (!version) throw new Error(`${url} did not answer with a version such as v4.1.4`);
  core.info(`helm-version 'latest' resolved to v${version} (from ${url})`);
  return version;
}

async function publishedChecksum(url: string): Promise<string> {
  const checksum = parseChecksumFile(await downloadText(url));
  if (!checksum) throw new Error(`${url} does not start with a sha256 hash`);
  return checksum;
}
