// command status on a fresh runner (an empty tool cache): helm's release
// records in Secrets (the default of Helm 3 and 4) are read through the API
// server, so no helm is downloaded; a storage only helm reads (HELM_DRIVER
// memory here, with the release's records handed to it; sql in real life)
// still gets helm, which answers. Records written by each
// major. On kwok: the report's API reads fail (fake pod IPs), so these tests
// assert what the run downloaded and read, not the health verdict (the real
// node's status tests do).
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { removeAtExit } from '../../test/support/cache.js';
import { deploy, uniqueName, useE2E } from '../../test/support/e2e.js';
import type { ActionResult } from '../../test/support/runner.js';
import { helmTool } from '../../test/support/tools.js';

const env = useE2E();

/** The release's records as helm's memory storage reads them: a file of the release JSONs. */
async function recordsOf(release: string, namespace: string): Promise<string> {
  const secrets = await env.kube.json<{ items: { data: { release: string } }[] }>([
    'get',
    'secret',
    '-n',
    namespace,
    '-l',
    `owner=helm,name=${release}`,
  ]);
  // A Secret's data is base64 of helm's encoding, base64 of gzip of the JSON.
  const releases = secrets.items.map(
    (s) =>
      JSON.parse(
        gunzipSync(
          Buffer.from(Buffer.from(s.data.release, 'base64').toString(), 'base64'),
        ).toString(),
      ) as unknown,
  );
  const dir = await mkdtemp(join(tmpdir(), 'lily-deploy-status-records-'));
  removeAtExit(dir);
  const file = join(dir, 'releases.json');
  await writeFile(file, JSON.stringify(releases));
  return file;
}

/** A release of the fixture chart deployed with helm `major`, in a namespace of its own. */
async function deployed(
  major: 3 | 4,
  release: string,
): Promise<{ release: string; namespace: string }> {
  const namespace = uniqueName(`status-${release}`);
  const result = await deploy(env.e2e, major, {
    release,
    namespace,
    'create-namespace': 'true',
  });
  assert.equal(result.exitCode, 0, result.log);
  return { release, namespace };
}

/** Status ran, and read the release's first revision, deployed, of chart 0.1.4. */
function assertReported(result: ActionResult, release: string, namespace: string): void {
  assert.match(
    result.log,
    new RegExp(`^Lily release ${release} in ${namespace} \\(revision 1\\): `, 'm'),
  );
  assert.equal(result.outputs.revision, '1');
  assert.equal(result.outputs.status, 'deployed');
  assert.equal(result.outputs['chart-version'], '0.1.4');
}

/** A tool cache with nothing in it, as on a fresh hosted runner. */
async function emptyToolCache(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lily-deploy-status-tools-'));
  removeAtExit(dir);
  return dir;
}

for (const major of [3, 4] as const) {
  describe(`command status on an empty tool cache, helm ${major}`, () => {
    it('with the default storage (Secrets) downloads no helm and reads the release helm wrote', async () => {
      const { release, namespace } = await deployed(major, `quiet-h${major}`);
      const requests = env.e2e.mirror.requests.length;
      const toolCache = await emptyToolCache();
      const result = await deploy(
        env.e2e,
        major,
        { command: 'status', release, namespace },
        { toolCache },
      );
      assert.equal(env.e2e.mirror.requests.length, requests, 'nothing was downloaded');
      assert.deepEqual(
        await readdir(toolCache),
        ['lily-deploy-code-cache'],
        'no helm in the tool cache (only the action’s own code cache)',
      );
      assert.match(
        result.log,
        /^Helm not installed: command status reads helm's release records \(Secrets, HELM_DRIVER unset\) through the Kubernetes API and runs no helm$/m,
      );
      assert.doesNotMatch(result.log, /Install helm/);
      assertReported(result, release, namespace);
      assert.equal(result.outputs['helm-version'], undefined, 'no helm, no helm-version');
    });

    it('with HELM_DRIVER=memory (a storage only helm reads) installs helm and reads the release through it', async () => {
      const tool = await helmTool(major);
      const { release, namespace } = await deployed(major, `kept-h${major}`);
      // The release's record, handed to helm's memory storage (HELM_MEMORY_DRIVER_DATA), and
      // its Secret gone: only helm can answer now.
      const records = await recordsOf(release, namespace);
      await env.kube.run(['delete', 'secret', '-n', namespace, '-l', `owner=helm,name=${release}`]);
      const toolCache = await emptyToolCache();
      const archive = `/helm-v${tool.version}-linux-amd64.tar.gz`;
      const downloads = env.e2e.mirror.requests.filter((r) => r.path === archive).length;
      const result = await deploy(
        env.e2e,
        major,
        { command: 'status', release, namespace },
        { toolCache, env: { HELM_DRIVER: 'memory', HELM_MEMORY_DRIVER_DATA: records } },
      );
      assert.match(
        result.log,
        /^HELM_DRIVER memory: helm's release records are where only helm reads them, so command status asks helm$/m,
      );
      assert.equal(
        env.e2e.mirror.requests.filter((r) => r.path === archive).length,
        downloads + 1,
        'helm was downloaded',
      );
      assert.equal(result.outputs['helm-version'], `v${tool.version}`);
      assertReported(result, release, namespace);
    });
  });
}
