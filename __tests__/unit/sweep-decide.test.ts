import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { previewName } from '../../src/github/preview.js';
import type { PullRequestState } from '../../src/github/pull-requests.js';
import { previewReleaseLabels } from '../../src/kube/objects.js';
import {
  decideSweep,
  type FoundPreview,
  pullRequestKey,
  pullRequestsToRead,
  type SweepContext,
} from '../../src/sweep/decide.js';

const REPO = 'filecoin-project/lily';
const NOW = new Date('2026-12-10T12:00:00Z');
const HOUR = 3_600_000;

function preview(
  number: number,
  hoursAgo = 1,
  repository = REPO,
  madeByLilyDeploy = true,
): FoundPreview {
  return {
    release: `lily-pr-${number}`,
    namespace: `lily-pr-${number}`,
    marks: { number, repository, deployedAt: new Date(NOW.getTime() - hoursAgo * HOUR) },
    madeByLilyDeploy,
    // What a preview deploy labels its release with in helm's record.
    record: { labels: previewReleaseLabels({ number, repository }) },
  };
}

function context(
  states: [string, number, PullRequestState][],
  more: Partial<SweepContext> = {},
): SweepContext {
  return {
    repository: REPO,
    otherRepositories: false,
    ttlMs: 72 * HOUR,
    now: NOW,
    states: new Map(states.map(([repo, number, state]) => [pullRequestKey(repo, number), state])),
    ...more,
  };
}

/** Each preview's release, action and why, for comparing in one go. */
function outcome(previews: FoundPreview[], ctx: SweepContext): [string, string, string][] {
  return decideSweep(previews, ctx).map((d) => [d.preview.release, d.action, d.why]);
}

describe('decideSweep', () => {
  it('removes the previews of closed, merged and idle pull requests, and keeps the rest', () => {
    const previews = [preview(1), preview(2), preview(3), preview(4, 100), preview(5, 1, 'o/x')];
    const ctx = context([
      [REPO, 1, 'open'],
      [REPO, 2, 'closed'],
      [REPO, 3, 'merged'],
      [REPO, 4, 'open'],
      ['o/x', 5, 'closed'],
    ]);
    assert.deepEqual(outcome(previews, ctx), [
      [
        'lily-pr-1',
        'keep',
        'pull request #1 is open; last deployed 1h ago (2026-12-10T11:00:00.000Z), within preview-ttl (3d)',
      ],
      ['lily-pr-2', 'remove', 'pull request #2 is closed'],
      ['lily-pr-3', 'remove', 'pull request #3 is merged'],
      [
        'lily-pr-4',
        'remove',
        'pull request #4 is open, but idle for longer than preview-ttl (3d): last deployed 4d4h ago (2026-12-06T08:00:00.000Z)',
      ],
      ['lily-pr-5', 'keep', 'a preview of o/x; sweep-other-repositories is false'],
    ]);
  });

  it('never removes what lily-deploy did not make, whatever its pull request', () => {
    const ctx = context([[REPO, 6, 'closed']]);
    const [decision] = decideSweep([preview(6, 1000, REPO, false)], ctx);
    assert.equal(decision?.action, 'keep');
    assert.match(decision.why, /^not made by lily-deploy/);
  });

  it('never removes on labels alone: helm’s record of the release must carry the same marks', () => {
    // A Secret anyone may create, labelled and marked as the closed pull request's preview
    // of a release installed with plain helm (no labels), or deployed for another one.
    const ctx = context([[REPO, 2, 'closed']]);
    const plainHelm = { ...preview(2), release: 'prod-db', record: { labels: {} } };
    const otherPullRequest = {
      ...preview(2),
      record: { labels: previewReleaseLabels({ number: 3, repository: REPO }) },
    };
    const otherRepository = {
      ...preview(2),
      record: { labels: previewReleaseLabels({ number: 2, repository: 'o/x' }) },
    };
    const noRelease = { ...preview(2), record: 'none' as const };
    const unreadable = { ...preview(2), record: { error: '403 Forbidden' } };
    const decisions = decideSweep(
      [plainHelm, otherPullRequest, otherRepository, noRelease, unreadable],
      ctx,
    );
    assert.deepEqual(
      decisions.map((d) => d.action),
      ['keep', 'keep', 'keep', 'keep', 'keep'],
    );
    assert.match(
      decisions[0]?.why ?? '',
      /^helm's record of release prod-db does not say lily-deploy deployed it as the preview of filecoin-project\/lily#2/,
    );
    assert.match(decisions[3]?.why ?? '', /^helm has no record of release lily-pr-2/);
    assert.equal(
      decisions[4]?.why,
      "could not read helm's record of release lily-pr-2: 403 Forbidden",
    );
    assert.deepEqual(pullRequestsToRead([plainHelm, noRelease, unreadable], ctx), []);
    assert.equal(decideSweep([preview(2)], ctx)[0]?.action, 'remove', 'backed by its record');
  });

  it('keeps a preview without marks, saying why', () => {
    const unmarked: FoundPreview = {
      release: 'old',
      namespace: 'old',
      madeByLilyDeploy: true,
      record: { labels: {} },
    };
    const [decision] = decideSweep([unmarked], context([]));
    assert.equal(decision?.action, 'keep');
    assert.match(decision.why, /no pull request marks/);
  });

  it('keeps a preview whose pull request state is unknown, saying the error', () => {
    const ctx = context([[REPO, 7, { error: 'GitHub API 502: Bad Gateway' }]]);
    assert.deepEqual(outcome([preview(7, 1000), preview(8, 1000)], ctx), [
      [
        'lily-pr-7',
        'keep',
        'could not read the state of pull request #7: GitHub API 502: Bad Gateway',
      ],
      ['lily-pr-8', 'keep', 'the state of pull request #8 was not read'],
    ]);
  });

  it('sweeps other repositories only when asked, keyed by repository and number', () => {
    const ctx = context(
      [
        [REPO, 5, 'open'],
        ['O/X', 5, 'closed'],
      ],
      { otherRepositories: true },
    );
    assert.deepEqual(outcome([preview(5), preview(5, 1, 'o/x')], ctx), [
      [
        'lily-pr-5',
        'keep',
        'pull request #5 is open; last deployed 1h ago (2026-12-10T11:00:00.000Z), within preview-ttl (3d)',
      ],
      ['lily-pr-5', 'remove', 'pull request o/x#5 is closed'],
    ]);
  });

  it('keeps an open pull request’s preview however idle without a TTL, and at exactly the TTL', () => {
    const open = context([[REPO, 9, 'open']], { ttlMs: undefined });
    assert.equal(decideSweep([preview(9, 10_000)], open)[0]?.action, 'keep');
    const atTtl = context([[REPO, 9, 'open']]);
    assert.equal(decideSweep([preview(9, 72)], atTtl)[0]?.action, 'keep');
    assert.equal(decideSweep([preview(9, 72.001)], atTtl)[0]?.action, 'remove');
  });

  it('with a release, sweeps only that release’s previews, long names included', () => {
    const long = `lily-${'x'.repeat(47)}a`;
    const longPreview = { ...preview(3), release: previewName(long, 3, 53) };
    const otherBase = { ...preview(2), release: 'lily-archive-pr-2' };
    const ctx = context([
      [REPO, 2, 'closed'],
      [REPO, 3, 'closed'],
    ]);
    assert.deepEqual(outcome([preview(2), otherBase], { ...ctx, base: 'lily' }), [
      ['lily-pr-2', 'remove', 'pull request #2 is closed'],
      ['lily-archive-pr-2', 'keep', 'not a preview of release lily'],
    ]);
    assert.equal(decideSweep([longPreview], { ...ctx, base: long })[0]?.action, 'remove');
    const shared = { ...preview(2), release: previewName('lily', 2, 53, REPO) };
    assert.deepEqual(outcome([shared], { ...ctx, base: 'lily' }), [
      [shared.release, 'remove', 'pull request #2 is closed'],
    ]);
    assert.deepEqual(
      pullRequestsToRead([preview(2), otherBase], { ...ctx, base: 'lily-archive' }),
      [{ repository: REPO, number: 2 }],
    );
    assert.deepEqual(pullRequestsToRead([preview(2)], { ...ctx, base: 'lily-archive' }), []);
  });

  it('takes the repository in any case, as GitHub does', () => {
    const ctx = context([[REPO, 2, 'closed']], { repository: 'Filecoin-Project/Lily' });
    assert.equal(decideSweep([preview(2)], ctx)[0]?.action, 'remove');
  });
});

describe('pullRequestsToRead', () => {
  it('asks only about the previews the sweep may remove, each once', () => {
    const previews = [
      preview(1),
      { ...preview(1), release: 'lily-b-pr-1' },
      preview(2, 1, REPO, false),
      preview(3, 1, 'o/x'),
      { release: 'old', namespace: 'old', madeByLilyDeploy: true, record: 'none' as const },
    ];
    const own = { repository: REPO, otherRepositories: false };
    assert.deepEqual(pullRequestsToRead(previews, own), [{ repository: REPO, number: 1 }]);
    assert.deepEqual(pullRequestsToRead(previews, { ...own, otherRepositories: true }), [
      { repository: REPO, number: 1 },
      { repository: 'o/x', number: 3 },
    ]);
  });
});
