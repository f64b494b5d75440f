// Failures a real kubelet shows its own way (test/cluster/README.md, "The real
// node"): an image the node does not have, a daemon the kernel kills for its
// memory, an init container that crash-loops. No database: none of them gets
// that far. Helm 3 and Helm 4; each test its own namespace and release.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  deploy,
  HEALTHY_VALUES_FILES,
  REAL_NODE_VALUES,
  uniqueName,
  useE2E,
} from '../../test/support/e2e.js';
import { SKIP as skip } from '../../test/support/real-node.js';

/** No snapshot to import, no network sync: the daemon is up in a second or two. */
const QUICK_START = 'importSnapshot: {enabled: false}\ndebug: {disableNetworkSync: true}';
const FAKE_CLOCK = [
  '    - {name: LILY_FAKE_SYNC_TIME, value: 1s}',
  '    - {name: LILY_FAKE_BLOCK_TIME, value: 1s}',
];

describe('failures on the real node', { skip, concurrency: true }, () => {
  const env = useE2E({ realNode: true });

  for (const major of [3, 4] as const) {
    describe(`helm ${major}`, () => {
      const run = (release: string, inputs: Record<string, string>) => {
        const namespace = uniqueName(`rn-${release}-h${major}`);
        const started = Date.now();
        return deploy(env.e2e, major, {
          release,
          namespace,
          'create-namespace': 'true',
          'values-files': `${HEALTHY_VALUES_FILES}\n${REAL_NODE_VALUES}`,
          timeout: '3m',
          ...inputs,
        }).then((result) => ({ result, namespace, seconds: (Date.now() - started) / 1000 }));
      };

      it("an image the node does not have: image-pull at once, with the kubelet's reason, nothing left pending", async () => {
        const release = 'no-image';
        const { result, namespace, seconds } = await run(release, {
          values: `${QUICK_START}\nimage: {tag: not-on-the-node}`,
        });
        assert.equal(result.exitCode, 1, result.log);
        assert.equal(result.outputs['failure-reason'], 'image-pull', result.log);
        const pod = `lily-${release}-dev-mainnet-daemon-0`;
        const image = 'lily-deploy.test/lily:not-on-the-node';
        // The kubelet's own words, in the line the user reads first.
        assert.ok(
          result.log.includes(
            `Deploy of ${release} failed (image-pull): container init-datastore of pod ${pod} cannot pull image ${image} (ErrImageNeverPull: Container image "${image}" is not present with pull policy of Never)`,
          ),
          result.log,
        );
        assert.ok(seconds < 60, `image-pull took ${seconds} s`);
        const history = await env.kube.releaseHistory(release, namespace);
        assert.deepEqual(history, [{ revision: 1, status: 'failed' }]);
      });

      it('a daemon past its memory limit: oom-killed, naming the container, its limit and the value that sets it', async () => {
        const release = 'oom';
        const { result } = await run(release, {
          verify: 'true',
          'verify-window': '40s',
          values: [
            QUICK_START,
            'daemon:',
            '  resources:',
            '    requests: {cpu: 100m, memory: 32Mi}',
            '    limits: {cpu: "1", memory: 48Mi}',
            '  env:',
            ...FAKE_CLOCK,
            '    - {name: LILY_FAKE_MEMORY, value: 256Mi}',
            '    - {name: LILY_FAKE_MEMORY_AFTER, value: 4s}',
          ].join('\n'),
        });
        assert.equal(result.exitCode, 1, result.log);
        assert.equal(result.outputs['failure-reason'], 'oom-killed', result.log);
        const pod = `lily-${release}-dev-mainnet-daemon-0`;
        assert.match(
          result.log,
          new RegExp(
            `Deploy of ${release} failed \\(oom-killed\\): container daemon of pod ${pod} .*; last exit code 137 \\(OOMKilled\\): out of memory, its limit is 48Mi \\(daemon\\.resources\\.limits\\.memory\\)`,
          ),
        );
        assert.ok(
          result.log.includes(
            'Raise daemon.resources.limits.memory (48Mi now) in your values, with the memory request beside it',
          ),
          result.log,
        );
        // The killed run's own last line, read from the real container's log.
        assert.match(result.log, /"msg":"loading the state tree into memory"/);
      });

      it('an init container in a crash loop: named by its lines (lily-snapshot), its last lines shown, a removed run said to be gone, restarts counted', async () => {
        const release = 'init-loop';
        const { result } = await run(release, {
          // A snapshot the node's server does not have: init-datastore says so and exits 1.
          values: 'importSnapshot: {url: "http://10.200.0.1:8080/no-such-snapshot.car"}',
        });
        assert.equal(result.exitCode, 1, result.log);
        // A download that fails is a known Lily failure: the crash loop is named by it.
        assert.equal(result.outputs['failure-reason'], 'lily-snapshot', result.log);
        const pod = `lily-${release}-dev-mainnet-daemon-0`;
        assert.match(
          result.log,
          new RegExp(
            `Deploy of ${release} failed \\(lily-snapshot\\): The snapshot download failed .*\\(container init-datastore of pod ${pod} is crash-looping.*: restarted [3-9] time\\(s\\); last exit code 1 \\(Error\\)`,
          ),
        );
        // The failed run's lines, as the container printed them.
        const current = logSection(result.log, 'init-datastore');
        assert.ok(
          current.includes(
            '*** Downloading snapshot from url http://10.200.0.1:8080/no-such-snapshot.car...',
          ),
          result.log,
        );
        assert.ok(current.includes('...download failed: 1'), result.log);
        // The run before: its lines, or (the kubelet removed it) said to be gone.
        const previous = logSection(result.log, 'init-datastore (previous run)');
        assert.ok(
          previous.includes('...download failed: 1') ||
            previous ===
              '(not retrievable any more: the kubelet removed the container of that run)',
          previous,
        );
        assert.ok(!result.log.includes('unable to retrieve container logs'), result.log);
        assert.ok(!result.log.includes('failed to try resolving symlinks'), result.log);
        // The last progress line (one every 15 s; the loop is seen at its third restart, 30 s
        // in at the earliest) counts the init container's restarts, as its status does.
        const progress = [
          ...result.log.matchAll(
            new RegExp(`^ +${pod} +(\\S+) +ready 0/1 +restarts (\\d+)$`, 'gm'),
          ),
        ].at(-1);
        assert.ok(progress, result.log);
        const status = /init container init-datastore: .*, restarts (\d+);/.exec(result.log);
        assert.ok(status, result.log);
        assert.match(progress[1] ?? '', /^Init:(Error|CrashLoopBackOff|0\/2)$/, progress[0]);
        assert.ok(Number(progress[2]) >= 1, progress[0]);
        assert.ok(Number(progress[2]) <= Number(status[1]), progress[0]);
      });
    });
  }
});

/** The lines under `--- logs of <title> ---` in the pod's diagnostics, up to the next heading. */
function logSection(log: string, title: string): string {
  const lines = log.split('\n').map((l) => l.trim());
  const start = lines.indexOf(`--- logs of ${title} ---`);
  assert.ok(start >= 0, `no logs of ${title} in:\n${log}`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => l.startsWith('--- logs of ') || l.startsWith('::'));
  return rest.slice(0, end === -1 ? undefined : end).join('\n');
}
