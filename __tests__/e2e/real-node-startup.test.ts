// Lily's start-up failures before the database on a real kubelet: the
// fixture chart's init-datastore downloads and imports the snapshot with the
// fake lily, init-sync waits for its API; the action names each failure after
// the line the chart's script or Lily printed (lily-snapshot, lily-api). Each
// test has its own namespace and release: it runs beside the other real-node
// files.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { useE2E } from '../../test/support/e2e.js';
import {
  assertNamedFailure,
  deployFailingOnRealNode,
  failureHeadline,
  REAL_NODE as node,
  SKIP as skip,
  type RealNodeFailure,
  writeSnapshot,
} from '../../test/support/real-node.js';

const PASSWORD = 'start-up p@ss:w/rd?#%+';

describe('Lily start-up failures on the real node', { skip, concurrency: 2 }, () => {
  const env = useE2E({ realNode: true });
  let nodeInfo: Exclude<typeof node, string>;
  let snapshotUrl: string;

  before(() => {
    if (typeof node === 'string') return;
    nodeInfo = node;
    // A snapshot that downloads and is no CAR file at all.
    writeFileSync(join(node.www, 'empty-startup.car'), '');
    // A snapshot of its own: another file rewriting one a pod is downloading would cut it.
    snapshotUrl = writeSnapshot(node, 'startup-snapshot.car');
  });

  for (const major of [3, 4] as const) {
    // The majors side by side, each one's tests one after the other.
    describe(`helm ${major}`, { concurrency: 1 }, () => {
      /** A deploy of release lily-<name> that fails before it reaches its database. */
      function deployFailing(
        name: string,
        values: string,
        inputs: Record<string, string> = {},
      ): Promise<RealNodeFailure> {
        return deployFailingOnRealNode(env.e2e, major, name, {
          values,
          'database-host': nodeInfo.ip,
          'database-name': 'never_reached',
          'database-user': 'never_reached',
          'database-password': PASSWORD,
          ...inputs,
        });
      }

      const snapshots = [
        {
          name: 'dl',
          what: 'a snapshot URL that serves nothing, quoting the chart script\'s "download failed"',
          file: 'no-such-snapshot.car',
          quoted: 'The snapshot download failed (status 1): "...download failed: 1"',
          remedy: /Remedy: Check importSnapshot\.url/,
        },
        {
          name: 'car',
          what: "a snapshot Lily cannot read, quoting Lily's `peek header: EOF`",
          file: 'empty-startup.car',
          quoted: 'Lily could not import the snapshot: "peek header: EOF"',
          remedy: /Remedy: The snapshot is cut, empty or of a format this Lily cannot read/,
        },
      ];
      for (const { name, what, file, quoted, remedy } of snapshots) {
        it(`${what}: lily-snapshot`, async () => {
          const url = `http://${nodeInfo.ip}:8080/${file}`;
          const result = await deployFailing(name, `importSnapshot: {url: '${url}'}`);
          assertNamedFailure(result, result.release, { reason: 'lily-snapshot', quoted, remedy });
        });
      }

      it("a datastore too small for the chain: lily-disk, quoting the kernel's ENOSPC through Lily's import", async () => {
        // A 384 KiB tmpfs: the 256 KiB snapshot downloads, its import into the datastore does not fit.
        const result = await deployFailing(
          'disk',
          [
            `importSnapshot: {url: '${snapshotUrl}'}`,
            'test: {datastoreEmptyDir: {medium: Memory, sizeLimit: 384Ki}}',
          ].join('\n'),
        );
        assertNamedFailure(result, result.release, {
          reason: 'lily-disk',
          quoted: 'The datastore volume is full: "',
          remedy:
            /Remedy: Give the datastore a volume big enough for the chain and the snapshot being imported[^\n]*`daemon\.volumes\.datastore\.enabled: true`/,
        });
        assert.match(failureHeadline(result, result.release) ?? '', /no space left on device"/i);
      });

      it('an init container killed at its memory limit: oom-killed, with the limit and where it is set', async () => {
        const result = await deployFailing(
          'oom',
          [
            `importSnapshot: {url: '${snapshotUrl}'}`,
            'test: {initDatastoreResources: {requests: {memory: 48Mi}, limits: {memory: 48Mi}}}',
            'daemon:',
            '  env:',
            // The import holds more than the limit, as a mainnet import can in the chart's 16Gi.
            '    - {name: LILY_FAKE_IMPORT_MEMORY, value: 256Mi}',
          ].join('\n'),
        );
        assertNamedFailure(result, result.release, {
          reason: 'oom-killed',
          quoted: `container init-datastore of pod lily-${result.release}-dev-mainnet-daemon-0 is crash-looping`,
          remedy:
            /Remedy: Raise the memory limit of container init-datastore \(48Mi now\): the published Lily chart sets init-datastore's limit itself \(16Gi, requests = limits\): no value changes it/,
        });
        assert.match(
          failureHeadline(result, result.release) ?? '',
          // containerd says OOMKilled, or Error when the exit reached it before the OOM event.
          /last exit code 137 \((OOMKilled|Error)\): out of memory( \(its shell printed "Killed": a process of it was killed\))?, its limit is 48Mi/,
        );
      });

      it('a postStart hook that fails (a kind flag in jobArgs, the Lily preflight off): lily-api', async () => {
        const result = await deployFailing(
          'hook',
          [
            `importSnapshot: {url: '${snapshotUrl}'}`,
            'daemon:',
            '  jobs:',
            '    - {command: watch, name: blocks, jobArgs: ["--confidence=0"]}',
          ].join('\n'),
          // 0.1.4 has no init-database: the hook is the first to run `lily job run`.
          { 'chart-version': '0.1.4', 'lily-preflight': 'false' },
        );
        assertNamedFailure(result, result.release, {
          reason: 'lily-api',
          quoted:
            "Lily's start-up hook (postStart: wait for the API, sync, start the jobs) failed, which kills the container",
          remedy:
            /Remedy: (The hook's output is in the kubelet's log on the node|A job's flag is in jobArgs)/,
        });
        // The kubelet's words, or the hook's own output when its status was seen in time; the
        // loop as the hook's (its event seen first) or as a crash loop (CrashLoopBackOff first).
        assert.match(
          failureHeadline(result, result.release) ?? '',
          /: "(PostStartHook failed|flag provided but not defined: -confidence)" \(container daemon of pod lily-lily-hook-dev-mainnet-daemon-0 (restarted \d+ time\(s\) after its postStart hook failed|is crash-looping\b[^)]*\)?: restarted \d+ time\(s\); last exit code 0 \(Completed\))\)/,
        );
      });

      it('wait-api giving up in init-sync (its output hidden by the chart): lily-api', async () => {
        // The daemon's API comes up 10 s after it starts, long after wait-api's 1 ms.
        const result = await deployFailing(
          'api',
          [
            "apiWaitTimeout: '1ms'",
            `importSnapshot: {url: '${snapshotUrl}'}`,
            'daemon:',
            '  env:',
            '    - {name: LILY_FAKE_API_DELAY, value: 10s}',
          ].join('\n'),
        );
        assertNamedFailure(result, result.release, {
          reason: 'lily-api',
          quoted: '"exit with code 1"',
          remedy:
            /Remedy: The daemon opens its datastore and fetches proof parameters before its API answers: raise apiWaitTimeout/,
        });
      });
    });
  }
});
