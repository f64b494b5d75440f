// Names of the files get.helm.sh (or a mirror of it) serves for a Helm release.

const OS_NAMES: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'linux',
  darwin: 'darwin',
  win32: 'windows',
};

const ARCH_NAMES: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
};

export interface HelmReleaseFiles {
  /** `<os>-<arch>`: also the directory inside the archive that holds the binary. */
  platform: string;
  archiveUrl: string;
  checksumUrl: string;
  binaryPath: string;
  isZip: boolean;
}

export function helmReleaseFiles(
  baseUrl: string,
  version: string,
  platform: NodeJS.Platform,
  arch: string,
): HelmReleaseFiles {
  const os = OS_NAMES[platform];
  const cpu = ARCH_NAMES[arch];
  if (!os || !cpu) throw new Error(`Helm publishes no build for ${platform}/${arch}`);
  const isZip = os === 'windows';
  const archiveUrl = `${baseUrl}/helm-v${version}-${os}-${cpu}.${isZip ? 'zip' : 'tar.gz'}`;
  return {
    platform: `${os}-${cpu}`,
    archiveUrl,
    checksumUrl: `${archiveUrl}.sha256sum`,
    binaryPath: `${os}-${cpu}/helm${isZip ? '.exe' : ''}`,
    isZip,
  };
}

/** The file that names the newest Helm release. */
export function latestVersionUrl(baseUrl: string): string {
  return `${baseUrl}/helm-latest-version`;
}

/** The version in a `helm-latest-version` answer (`v4.1.4`), without the v. */
export function parseLatestVersion(text: string): string | undefined {
  return /^v?(\d+\.\d+\.\d+)\s*$/.exec(text.trim())?.[1];
}

/** The hash in a `.sha256sum` file (`<hash>  <file name>`), lower-cased. */
export function parseChecksumFile(text: string): string | undefined {
  return /^([0-9a-fA-F]{64})(\s|$)/.exec(text.trim())?.[1]?.toLowerCase();
}
