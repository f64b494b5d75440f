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
import {
  deploy,
  HEALTHY_VALUES_FILES,
  REAL_NODE_VALUES,
  uniqueName,
  useE2E,
} from '../../test/support/e2e.js';
import { realNodeOrSkipReason, writeSnapshot } from '../../test/support/real-node.js';
import type { ActionResult } from '../../test/support/runner.js';

const node = realNodeOrSkipReason();
const skip = typeof node === 'string' ? node : false;
const PASSWORD = 'start-up p@ss:w/rd?#%+';

describe('Lily start-up failures on the real node', { skip }, () => {
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
    describe(`helm ${major}`, () => {
      async function deployFailing(name: string, values: string): Promise<ActionResult> {
        const result = await deploy(env.e2e, major, {
          release: `lily-${name}`,
          namespace: uniqueName(`${name}-h${major}`),
          'create-namespace': 'true',
          'chart-version': '0.1.5-rc1',
          'values-files': `${HEALTHY_VALUES_FILES}\n${REAL_NODE_VALUES}`,
          values,
          'database-host': nodeInfo.ip,
          'database-name': 'never_reached',
          'database-user': 'never_reached',
          'database-password': PASSWORD,
          'fail-fast-restarts': '1',
          timeout: '3m',
        });
        assert.notEqual(result.exitCode, 0, result.log);
        assert.ok(!result.log.includes(PASSWORD) && !result.summary.includes(PASSWORD));
        const headline = result.log
          .split('\n')
          .find((l) => l.includes(`Deploy of lily-${name} failed`));
        console.log(`helm ${major}, ${name}: ${headline ?? '(no headline)'}`);
        return result;
      }

      function assertNamed(result: ActionResult, reason: string, quoted: string, remedy: RegExp) {
        assert.equal(result.outputs['failure-reason'], reason, result.log);
        const headline = result.log.split('\n').find((l) => /Deploy of lily-\S+ failed \(/.test(l));
        assert.ok(headline?.includes(`failed (${reason}): `), result.log);
        assert.ok(headline?.includes(quoted), `${headline}\nshould quote: ${quoted}`);
        assert.match(result.summary, remedy);
      }

      it('a snapshot URL that serves nothing: lily-snapshot, quoting the chart script\'s "download failed"', async () => {
        const result = await deployFailing(
          'dl',
          `importSnapshot: {url: 'http://${nodeInfo.ip}:8080/no-such-snapshot.car'}`,
        );
        assertNamed(
          result,
          'lily-snapshot',
          'The snapshot download failed (status 1): "...download failed: 1"',
          /Remedy: Check importSnapshot\.url/,
        );
      });

      it("a snapshot Lily cannot read: lily-snapshot, quoting Lily's `peek header: EOF`", async () => {
        const result = await deployFailing(
          'car',
          `importSnapshot: {url: 'http://${nodeInfo.ip}:8080/empty-startup.car'}`,
        );
        assertNamed(
          result,
          'lily-snapshot',
          'Lily could not import the snapshot: "peek header: EOF"',
          /Remedy: The snapshot is cut, empty or of a format this Lily cannot read/,
        );
      });

      it("a datastore too small for the chain: lily-disk, quoting the kernel's ENOSPC through Lily's import", async () => {
        // A 384 KiB tmpfs: the 256 KiB snapshot downloads, its import into the datastore does not fit.
        const result = await deployFailing(
          'disk',
          [
            `importSnapshot: {url: '${snapshotUrl}'}`,
            'test: {datastoreEmptyDir: {medium: Memory, sizeLimit: 384Ki}}',
          ].join('\n'),
        );
        assert.equal(result.outputs['failure-reason'], 'lily-disk', result.log);
        const headline = result.log
          .split('\n')
          .find((l) => l.includes('Deploy of lily-disk failed'));
        assert.match(
          headline ?? '',
          /failed \(lily-disk\): The datastore volume is full: "[^"]*no space left on device"/i,
        );
        assert.match(
          result.summary,
          /Remedy: Give the datastore a volume big enough for the chain and the snapshot being imported[^\n]*`daemon\.volumes\.datastore\.enabled: true`/,
        );
      });

      it('wait-api giving up in init-sync (its output hidden by the chart): lily-api', async () => {
        const result = await deployFailing(
          'api',
          `apiWaitTimeout: '1ms'\nimportSnapshot: {url: '${snapshotUrl}'}`,
        );
        assertNamed(
          result,
          'lily-api',
          '"exit with code 1"',
          /Remedy: The daemon opens its datastore and fetches proof parameters before its API answers: raise apiWaitTimeout/,
        );
      });
    });
  }
});
