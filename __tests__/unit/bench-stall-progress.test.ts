// The bench's stall figure starts from the last progress init-sync showed:
// the kubelet's timestamp of the first `sync wait` line with the final height.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastSyncProgressAt } from '../../bench/lily.js';

const block = (at: string, epoch: number) =>
  [
    `${at} \r\x1b[2K\x1b[A\r\x1b[2K\x1b[AWorker: 1; Base: 100; Target: 120 (diff: 20)`,
    `${at} State: message sync; Current Epoch: ${epoch}; Todo: ${120 - epoch}`,
    `${at} Validated 0 messages (0 per second)`,
  ].join('\n');

describe('the last sync progress in a timestamped init-sync log', () => {
  it('is the first line showing the height the sync stayed at, not its redraws', () => {
    const log = [
      '2026-12-05T02:41:00.000000000Z Waiting for network sync to complete...',
      block('2026-12-05T02:41:00.100000000Z', 101),
      block('2026-12-05T02:41:00.350123456Z', 102),
      block('2026-12-05T02:41:00.600000000Z', 102),
      '2026-12-05T02:41:00.700000000Z {"level":"info","msg":"a daemon line"}',
      block('2026-12-05T02:41:00.850000000Z', 102),
    ].join('\n');
    assert.equal(lastSyncProgressAt(log), Date.parse('2026-12-05T02:41:00.350Z'));
  });

  it('says so when the log has no sync wait line', () => {
    assert.throws(
      () => lastSyncProgressAt('2026-12-05T02:41:00.000000000Z Waiting for network sync'),
      /no sync wait line in init-sync's log/,
    );
  });
});
