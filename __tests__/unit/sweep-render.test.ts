import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FoundPreview } from '../../src/sweep/decide.js';
import { renderSweepSummary, type SweepResult, sweptOutput } from '../../src/sweep/render.js';

const REPO = 'o/lily';

function found(number: number, repository = REPO): FoundPreview {
  return {
    release: `lily-pr-${number}`,
    namespace: `lily-pr-${number}`,
    marks: { number, repository, deployedAt: new Date('2026-12-01T00:00:00Z') },
    madeByLilyDeploy: true,
    record: { labels: {} },
  };
}

const RESULTS: SweepResult[] = [
  { preview: found(1), action: 'keep', why: 'pull request #1 is open' },
  { preview: found(2), action: 'remove', why: 'pull request #2 is closed' },
  { preview: found(3, 'o/x'), action: 'remove', why: 'pull request o/x#3 | merged' },
  { preview: found(4), action: 'remove', why: 'pull request #4 is closed', error: 'forbidden' },
];

describe('sweptOutput', () => {
  it('lists what was removed, not what was kept or failed', () => {
    assert.deepEqual(JSON.parse(sweptOutput(RESULTS)), [
      {
        release: 'lily-pr-2',
        namespace: 'lily-pr-2',
        repository: REPO,
        pullRequest: 2,
        why: 'pull request #2 is closed',
      },
      {
        release: 'lily-pr-3',
        namespace: 'lily-pr-3',
        repository: 'o/x',
        pullRequest: 3,
        why: 'pull request o/x#3 | merged',
      },
    ]);
    assert.equal(sweptOutput([]), '[]');
  });
});

describe('renderSweepSummary', () => {
  it('is a table of every preview, its decision and why', () => {
    assert.equal(
      renderSweepSummary({ results: RESULTS, dryRun: false, repository: REPO }),
      [
        '### Lily preview sweep: 2 removed, 1 kept, 1 failed',
        '',
        '| Release | Namespace | Pull request | Decision | Why |',
        '|---|---|---|---|---|',
        '| `lily-pr-1` | `lily-pr-1` | #1 | kept | pull request #1 is open |',
        '| `lily-pr-2` | `lily-pr-2` | #2 | removed | pull request #2 is closed |',
        '| `lily-pr-3` | `lily-pr-3` | o/x#3 | removed | pull request o/x#3 \\| merged |',
        '| `lily-pr-4` | `lily-pr-4` | #4 | **removal failed** | pull request #4 is closed; removal failed: forbidden |',
        '',
      ].join('\n'),
    );
  });

  it('says a dry run removed nothing', () => {
    const summary = renderSweepSummary({
      results: RESULTS.slice(0, 2),
      dryRun: true,
      repository: REPO,
    });
    assert.match(summary, /^### Lily preview sweep \(dry run\): 1 would be removed, 1 kept\n/);
    assert.match(summary, /\nDry run: nothing was removed\.\n/);
    assert.match(summary, /\| #2 \| would remove \| pull request #2 is closed \|/);
  });

  it('says when there was nothing to sweep', () => {
    const unmarked: SweepResult = {
      preview: { release: 'old', namespace: 'old', madeByLilyDeploy: true, record: 'none' },
      action: 'keep',
      why: 'no marks',
    };
    assert.equal(
      renderSweepSummary({ results: [], dryRun: false, repository: REPO }),
      '### Lily preview sweep: 0 removed, 0 kept\n\nNo previews were found.\n',
    );
    assert.match(
      renderSweepSummary({ results: [unmarked], dryRun: false, repository: REPO }),
      /\| `old` \| `old` \| – \| kept \| no marks \|/,
    );
  });
});
