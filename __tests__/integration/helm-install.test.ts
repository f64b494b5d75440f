// The action's helm installer against a local get.helm.sh-shaped mirror, with
// the real helm 3 and helm 4 tarballs, and the first cluster call against a
// cluster that is not there. No cluster is needed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type ChartRepo, startChartRepo } from '../../test/support/chart-repo.js';
import { CHART_VERSIONS, FIXTURE_CHART } from '../../test/support/e2e.js';
import { startHelmMirror, type HelmMirror } from '../../test/support/helm-mirror.js';
import { leaks, pathWith, runAction, type RunActionOptions } from '../../test/support/runner.js';
import { unreachableKubeconfig } from '../../test/support/kubeconfigs.js';
import { helmTool, type HelmMajor } from '../../test/support/tools.js';

const TOKEN = 'canary-kube-token-7f3a9';
const PASSWORD = 'canary-db-p@ss:w/rd+7f3a9';

const KUBECONFIG = unreachableKubeconfig(TOKEN);

let mirror: HelmMirror;
let repo: ChartRepo;

before(async () => {
  [mirror, repo] = await Promise.all([
    startHelmMirror(),
    startChartRepo({ chartDir: FIXTURE_CHART, versions: CHART_VERSIONS }),
  ]);
});

after(() => Promise.all([mirror.close(), repo.close()]));

async function deployWith(
  major: HelmMajor,
  inputs: RunActionOptions['inputs'],
  options: Partial<RunActionOptions> = {},
) {
  const tool = await helmTool(major);
  return runAction({
    ...options,
    inputs: {
      release: 'lily-it',
      'chart-version': '0.1.4',
      'helm-version': tool.version,
      'helm-download-base-url': mirror.url,
      'database-host': 'db.internal',
      'database-name': 'chain',
      'database-user': 'lily',
      'database-password': PASSWORD,
      kubeconfig: KUBECONFIG,
      ...inputs,
    },
    env: { PATH: pathWith(dirname(tool.kubectl)), ...options.env },
  });
}

function helmInCache(toolCache: string, version: string): string {
  return join(toolCache, 'helm', version, 'x64', 'helm');
}

for (const major of [3, 4] as const) {
  describe(`helm ${major} from the mirror`, () => {
    it('installs cold with a verified checksum, then from the tool cache with no request at all', async () => {
      const release = mirror.release(major);
      const toolCache = await mkdtemp(join(tmpdir(), 'tool-cache-'));
      const before = mirror.requests.length;
      const cold = await deployWith(major, {}, { toolCache });
      assert.match(
        cold.log,
        new RegExp(`sha256 ${release.sha256} verified against .*\\.sha256sum`),
      );
      assert.equal(mirror.count(release.archivePath), 1);
      assert.equal(mirror.count(release.checksumPath), 1);
      assert.ok(existsSync(helmInCache(toolCache, release.version)), 'helm is in the tool cache');
      assert.ok(
        cold.path.includes(join(toolCache, 'helm', release.version, 'x64')),
        'helm is added to PATH',
      );
      const afterCold = mirror.requests.length;
      assert.equal(afterCold - before, 2);

      const warm = await deployWith(major, {}, { toolCache });
      assert.match(warm.log, new RegExp(`Helm v${release.version} found in the tool cache`));
      assert.equal(mirror.requests.length, afterCold, 'the mirror saw no second request');
    });

    it('fails against an unreachable cluster with a clear message and no secret anywhere', async () => {
      const result = await deployWith(major, {});
      assert.equal(result.exitCode, 1);
      const error = result.annotations.find((a) => a.kind === 'error');
      assert.match(
        error?.message ?? '',
        /Cannot use the Kubernetes cluster: the API server refused the connection/,
      );
      assert.equal(result.outputs.revision, undefined, 'nothing was deployed');
      assert.deepEqual(await leaks(result, [TOKEN, PASSWORD]), []);
      const post = result.post;
      assert.ok(post, 'the post step ran');
      assert.equal(post.exitCode, 0);
      assert.match(post.log, /Removed .*lily-deploy-/);
    });

    it('runs started together on an empty shared tool cache each install once and run helm from it', async () => {
      // A self-hosted fleet shares one tool cache: runs that all miss it used
      // to rewrite the version directory while another executed helm from it
      // (spawn ETXTBSY) or copied into it (ENOENT). Each round is a new,
      // empty cache and four runs that reach helm's repository commands.
      const release = mirror.release(major);
      for (let round = 0; round < 4; round++) {
        const toolCache = await mkdtemp(join(tmpdir(), 'tool-cache-shared-'));
        const runs = await Promise.all(
          Array.from({ length: 4 }, () =>
            deployWith(major, { 'repo-url': repo.repoUrl }, { toolCache }),
          ),
        );
        for (const run of runs) {
          assert.doesNotMatch(run.log, /ETXTBSY|ENOENT|keeps changing/, run.log);
          assert.match(run.log, /Cannot use the Kubernetes cluster/, run.log);
        }
        assert.deepEqual(
          (await readdir(join(toolCache, 'helm', release.version))).sort(),
          ['x64', 'x64.complete'],
          'one entry, complete, and nothing left beside it',
        );
      }
    });

    it('refuses a tarball whose checksum does not match, and caches nothing', async () => {
      const toolCache = await mkdtemp(join(tmpdir(), 'tool-cache-'));
      const result = await deployWith(major, { 'helm-sha256': 'ab'.repeat(32) }, { toolCache });
      assert.equal(result.exitCode, 1);
      assert.match(
        result.log,
        /Checksum mismatch for .*helm-v.*: expected abab.* \(from input 'helm-sha256'\), got [0-9a-f]{64}/,
      );
      assert.ok(!existsSync(join(toolCache, 'helm')), 'nothing was cached');
    });
  });
}

describe('download faults', () => {
  const release = () => mirror.release(4);

  it('retries a 503 twice, then installs once', async () => {
    mirror.fail(release().archivePath, { status: 503, times: 2 });
    const toolCache = await mkdtemp(join(tmpdir(), 'tool-cache-'));
    const result = await deployWith(4, {}, { toolCache });
    assert.match(result.log, /answered HTTP 503; retrying in 1s \(attempt 2 of 3\)/);
    assert.match(result.log, /answered HTTP 503; retrying in 2s \(attempt 3 of 3\)/);
    assert.match(result.log, /verified/);
    assert.ok(existsSync(helmInCache(toolCache, release().version)));
  });

  it('refuses a truncated tarball by its checksum and caches nothing', async () => {
    mirror.truncate(release().archivePath, { times: 1 });
    const toolCache = await mkdtemp(join(tmpdir(), 'tool-cache-'));
    const result = await deployWith(4, {}, { toolCache });
    assert.match(
      result.log,
      /Checksum mismatch .* \(from http:\/\/127\.0\.0\.1:\d+\/helm-v4\.1\.4-linux-amd64\.tar\.gz\.sha256sum\)/,
    );
    assert.ok(!existsSync(join(toolCache, 'helm')));
  });

  for (const [what, body, why] of [
    ['not gzip', Buffer.from('<html>a captive portal</html>'), /incorrect header check/],
    ['a tar without helm', gzipSync(tarOf('linux-amd64/README.md', 'no binary here\n')), /^$/],
  ] as const)
    it(`names an archive its checksum vouches for that holds no helm (${what}), and caches nothing`, async () => {
      const sum = createHash('sha256').update(body).digest('hex');
      mirror.override(release().archivePath, body, { times: 1 });
      mirror.override(release().checksumPath, `${sum}  helm-v4.1.4-linux-amd64.tar.gz\n`, {
        times: 1,
      });
      const toolCache = await mkdtemp(join(tmpdir(), 'tool-cache-'));
      const result = await deployWith(4, {}, { toolCache });
      assert.equal(result.exitCode, 1);
      const line = /::error::(.*has no linux-amd64\/helm.*)/.exec(result.log)?.[1] ?? result.log;
      assert.match(line, /helm-v4\.1\.4-linux-amd64\.tar\.gz has no linux-amd64\/helm/);
      assert.match(line, /is the download base URL a Helm mirror\?/);
      assert.match(/\((.*)\); is the/.exec(line)?.[1] ?? '', why);
      assert.ok(!existsSync(join(toolCache, 'helm')), 'nothing was cached');
    });

  it('refuses a mirror whose .sha256sum disagrees', async () => {
    mirror.override(release().checksumPath, `${'0'.repeat(64)}  helm-v4.1.4-linux-amd64.tar.gz\n`, {
      times: 1,
    });
    const result = await deployWith(4, {});
    assert.match(result.log, /Checksum mismatch .*expected 0{64}/);
  });

  it('names the URL of a version the mirror does not have', async () => {
    const result = await deployWith(4, { 'helm-version': 'v4.9.9' });
    assert.match(
      result.log,
      /GET http:\/\/127\.0\.0\.1:\d+\/helm-v4\.9\.9-linux-amd64\.tar\.gz answered HTTP 404 \(no such file/,
    );
    // (Its checksum is asked for beside it, once.)
    assert.equal(mirror.count('/helm-v4.9.9-linux-amd64.tar.gz'), 1, 'a 404 is not retried');
  });

  it('gives up on a server that stalls, within a bounded time', async () => {
    mirror.stall(release().archivePath, { times: 3, afterBytes: 1024 });
    const started = Date.now();
    // 3 s, not 1: the same timeout bounds the wait for the answer's headers, and a loaded
    // machine (a core busy) once kept this process from sending them within 1 s.
    const result = await deployWith(
      4,
      {},
      { env: { LILY_DEPLOY_DOWNLOAD_IDLE_TIMEOUT_MS: '3000' } },
    );
    assert.equal(result.exitCode, 1);
    assert.match(result.log, /stalled: nothing received for 3s/);
    assert.ok(Date.now() - started < 30_000);
  });

  it("resolves helm-version 'latest' from helm-latest-version", async () => {
    const result = await deployWith(4, { 'helm-version': 'latest' });
    assert.match(result.log, new RegExp(`helm-version 'latest' resolved to v${mirror.latest}`));
  });

  it('downloads nothing when an input is bad', async () => {
    const before = mirror.requests.length;
    const result = await deployWith(4, { timeout: 'soon' });
    assert.equal(result.exitCode, 1);
    assert.match(result.log, /Input 'timeout' is 'soon'/);
    assert.equal(mirror.requests.length, before);
  });
});

/** A ustar archive of one file, as tar writes it: header, data padded to 512, two zero blocks. */
function tarOf(path: string, text: string): Buffer {
  const header = Buffer.alloc(512);
  header.write(path, 0);
  header.write('0000644\0', 100);
  header.write(`${Buffer.byteLength(text).toString(8).padStart(11, '0')}\0`, 124);
  header.write('0', 156);
  header.write('ustar\u000000', 257);
  header.fill(' ', 148, 156);
  const sum = header.reduce((total, b) => total + b, 0);
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const data = Buffer.alloc(Math.ceil(Buffer.byteLength(text) / 512) * 512);
  data.write(text);
  return Buffer.concat([header, data, Buffer.alloc(1024)]);
}
