import * as core from '@actions/core';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { arch, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startedEarly } from '../background.js';
import {
  DEFAULT_DOWNLOAD_POLICY,
  type DownloadPolicy,
  downloadFile,
  downloadTarEntry,
  downloadText,
  type Unpacked,
} from './download.js';
import {
  type HelmReleaseFiles,
  helmReleaseFiles,
  latestVersionUrl,
  parseChecksumFile,
  parseLatestVersion,
} from './release-files.js';
import type { HelmInstallSettings } from '../settings.js';
import { cacheToolDir, completeToolCacheEntry, toolCacheEntry } from './tool-cache-entry.js';

export interface InstalledHelm {
  /** Absolute path of the helm binary (where it will be, while it downloads). */
  binary: string;
  /** Without the leading v. */
  version: string;
  fromCache: boolean;
  /**
   * Settles once the binary is there, checksum verified, with the lines its
   * download logged: it downloads while the run gets on with what needs no
   * helm. Resolved at once on a tool cache hit.
   */
  installed: Promise<string[]>;
}

/**
 * Finds the wanted helm in the tool cache (no network at all on a hit for an
 * exact version), or starts its download into the tool cache, checked
 * against its checksum before it is cached and put on PATH.
 */
export async function startHelmInstall(settings: HelmInstallSettings): Promise<InstalledHelm> {
  const version =
    settings.version === 'latest'
      ? await resolveLatestVersion(settings.downloadBaseUrl)
      : settings.version;
  const files = helmReleaseFiles(settings.downloadBaseUrl, version, process.platform, arch());
  const binaryName = basename(files.binaryPath);

  const cached = await completeToolCacheEntry('helm', version);
  if (cached) {
    core.info(`Helm v${version} found in the tool cache (${cached}): nothing downloaded`);
    core.addPath(cached);
    return {
      binary: join(cached, binaryName),
      version,
      fromCache: true,
      installed: Promise.resolve([]),
    };
  }
  const entry = toolCacheEntry('helm', version);
  core.info(`Downloading ${files.archiveUrl} (the cluster is asked meanwhile)`);
  const lines: string[] = [];
  const installed = startedEarly(
    download(settings, files, version, (line) => lines.push(line)).then(() => {
      core.addPath(entry);
      return lines;
    }),
  );
  return { binary: join(entry, binaryName), version, fromCache: false, installed };
}

const waited = new WeakSet<InstalledHelm>();

/**
 * Waits for a download under way, in a log group with the lines it logged
 * (once, however often it is waited for); a cache hit waits for nothing.
 */
export async function waitForHelm(helm: InstalledHelm): Promise<void> {
  if (helm.fromCache || waited.has(helm)) {
    await helm.installed;
    return;
  }
  waited.add(helm);
  await core.group('Install helm', async () => {
    for (const line of await helm.installed) core.info(line);
  });
}

/** The archive downloaded, checked, unpacked and its binary cached (tool-cache's layout). */
async function download(
  settings: HelmInstallSettings,
  files: HelmReleaseFiles,
  version: string,
  log: (line: string) => void,
): Promise<void> {
  const binaryName = basename(files.binaryPath);
  const work = await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), 'lily-deploy-helm-'));
  try {
    const policy = { ...DEFAULT_DOWNLOAD_POLICY, log };
    // The published checksum is fetched while the archive downloads.
    const expectedSum = settings.sha256
      ? Promise.resolve(settings.sha256)
      : startedEarly(publishedChecksum(files.checksumUrl, policy));
    const binaryDir = join(work, files.platform);
    const binary = join(binaryDir, binaryName);
    await mkdir(binaryDir);
    // A tar is unpacked as it arrives (its binary cached only once the checksum matches); a zip once checked.
    const zip = join(work, basename(files.archiveUrl));
    const { sha256: actual, result: unpackedTar } = files.isZip
      ? { sha256: await downloadFile(files.archiveUrl, zip, policy), result: undefined }
      : await downloadTarEntry(files.archiveUrl, files.binaryPath, binary, policy);
    const expected = await expectedSum;
    const source = settings.sha256 ? "input 'helm-sha256'" : files.checksumUrl;
    if (actual !== expected) {
      throw new Error(
        `Checksum mismatch for ${files.archiveUrl}: expected ${expected} (from ${source}), got ${actual}. ` +
          'Nothing was installed or cached.',
      );
    }
    log(`sha256 ${actual} verified against ${source}`);
    const unpacked = unpackedTar ?? (await unzip(zip, work));
    if (!unpacked.complete || !existsSync(binary)) {
      const why = unpacked.error ? ` (${unpacked.error.message})` : '';
      throw new Error(
        `${files.archiveUrl} has no ${files.binaryPath}${why}; is the download base URL a Helm mirror?`,
      );
    }
    const entry = await cacheToolDir(binaryDir, 'helm', version, binaryName, { move: true });
    log(`Helm v${version} cached in ${entry}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A checked zip (Windows) unpacked by tool-cache into `work`. */
async function unzip(archive: string, work: string): Promise<Unpacked> {
  try {
    // Evaluated here only: a start on Linux or macOS needs none of tool-cache.
    const tc = await import(/* webpackMode: "eager" */ '@actions/tool-cache');
    await tc.extractZip(archive, work);
    return { complete: true };
  } catch (err) {
    return { complete: false, error: err as Error };
  }
}

async function resolveLatestVersion(baseUrl: string): Promise<string> {
  const url = latestVersionUrl(baseUrl);
  const version = parseLatestVersion(await downloadText(url));
  if (!version) throw new Error(`${url} did not answer with a version such as v4.1.4`);
  core.info(`helm-version 'latest' resolved to v${version} (from ${url})`);
  return version;
}

async function publishedChecksum(url: string, policy: DownloadPolicy): Promise<string> {
  const checksum = parseChecksumFile(await downloadText(url, policy));
  if (!checksum) throw new Error(`${url} does not start with a sha256 hash`);
  return checksum;
}
