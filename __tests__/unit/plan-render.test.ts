import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ObjectChange, planChanges, valuesDiff } from '../../src/plan/diff.js';
import { digestParts } from '../../src/plan/digest.js';
import { parseDigest } from '../../src/plan-digest.js';
import {
  changeCount,
  createPlanFile,
  type PlanFile,
  planFileJson,
  type Validation,
} from '../../src/plan/plan-file.js';
import {
  COMMENT_LIMIT,
  findStickyComment,
  renderPlanComment,
  renderPlanSummary,
  stickyMarker,
} from '../../src/plan/render.js';
import { REPORT_BYTES } from '../../src/markdown.js';
import { fieldChange } from '../../src/plan/redact.js';
import { lilyManifest, liveRelease, rendered, short } from './plan-fixtures.js';

const RUN = 'https://github.example/octo/lily-infra/actions/runs/4242';

function planOf(changes: ObjectChange[], validation: Validation = { serverSide: true }): PlanFile {
  return createPlanFile({
    release: 'lily-a',
    namespace: 'indexer',
    chart: 'lily',
    parts: digestParts({
      manifest: lilyManifest({ rc: true }),
      chartVersion: '0.1.5-rc1',
      values: {},
      liveRevision: 3,
    }),
    validation,
    changes,
  });
}

const upgrade = planOf(planChanges(rendered({ rc: true }), liveRelease(), rendered(), []));

describe('renderPlanSummary', () => {
  const summary = renderPlanSummary(upgrade);

  it('has a heading, the counts, and a row per object that changes', () => {
    assert.match(summary, /^### Lily plan: `lily-a` in `indexer`\n/);
    assert.ok(
      summary.includes(
        'Chart `lily@0.1.5-rc1`, against revision 3: 0 to add, 1 to change, 1 to remove, 3 unchanged.',
      ),
      summary,
    );
    const rows = summary.split('\n').filter((l) => l.startsWith('| `'));
    assert.deepEqual(rows, [
      '| `PodDisruptionBudget/indexer/lily-a-lily-daemon-pdb` | removed | – |',
      '| `StatefulSet/indexer/lily-a-lily-daemon` | changed | `spec.template.spec.initContainers`, `spec.template.spec.containers[daemon].image` |',
    ]);
  });

  it('collapses each diff in a diff block, and ends with the digest', () => {
    assert.match(
      summary,
      /<details><summary>StatefulSet\/indexer\/lily-a-lily-daemon \(changed\)<\/summary>\n\n```diff\n--- live\//,
    );
    assert.equal(summary.match(/<details>/g)?.length, 2);
    assert.ok(summary.trimEnd().endsWith(`Plan digest: \`${upgrade.digest}\``));
    assert.match(summary, /The API server validated the planned objects/);
  });

  it('is cut under the step summary limit (1 MiB), with a pointer to the plan file, the digest kept', () => {
    const huge = planChanges(rendered({ rc: true }), liveRelease(), rendered(), []).map((c) =>
      c.change === 'changed' ? { ...c, diff: `${c.diff}\n${'+ ü\n'.repeat(400_000)}` } : c,
    );
    const text = renderPlanSummary(planOf(huge));
    assert.ok(Buffer.byteLength(text) <= REPORT_BYTES, `${Buffer.byteLength(text)} bytes`);
    assert.match(text, /^\| `StatefulSet\/indexer\/lily-a-lily-daemon` \| changed \|/m);
    assert.match(
      text,
      /The job summary is cut here: every diff is in the plan file \(the `plan` output\)\.\n\nPlan digest: `lily-plan-1:[^`]+`\n$/,
    );
    // The cut diff's fence and <details> are closed.
    const fences = text.split('\n').filter((l) => /^`{3,}/.test(l));
    assert.equal(fences.length % 2, 0);
    assert.equal(text.split('<details>').length, text.split('</details>').length);
  });

  it('says in a line when nothing changes, and why validation was skipped', () => {
    const none = planOf(planChanges(rendered(), liveRelease(), rendered(), []), {
      serverSide: false,
      reason: 'the credentials may not change the release (read-only)',
    });
    const text = renderPlanSummary(none);
    assert.match(text, /^Nothing changes: the live objects already match the plan\.$/m);
    assert.match(
      text,
      /^Server-side validation was skipped: the credentials may not change the release \(read-only\)\.$/m,
    );
    assert.doesNotMatch(text, /<details>|\| Object \|/);
    assert.equal(changeCount(none), 0);
  });
});

/** A ConfigMap whose data changes in `count` keys. */
function configMapChange(name: string, count: number): ObjectChange {
  const fieldChanges = Array.from({ length: count }, (_, i) =>
    fieldChange(`data.key-${i}`, `old-${i}`, `new-${i}`),
  );
  return {
    key: `ConfigMap/indexer/${name}`,
    object: `ConfigMap/indexer/${name}`,
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: 'indexer',
    name,
    change: 'changed',
    fields: fieldChanges.map((c) => c.path),
    fieldChanges,
    diff: fieldChanges.map((c) => `-  ${c.path}: old\n+  ${c.path}: new`).join('\n'),
  };
}

describe('renderPlanComment', () => {
  it('starts with the marker and holds the table, the digest, the run, and each changed value by hash only', () => {
    const comment = renderPlanComment(upgrade, { runUrl: RUN, status: 'deployed, revision 4' });
    assert.ok(comment.startsWith(`${stickyMarker('lily-a')}\n### Lily plan:`));
    assert.ok(comment.includes(`Plan digest: \`${upgrade.digest}\` · [the run](${RUN})`));
    assert.match(comment, /^\*\*Preview:\*\* deployed, revision 4$/m);
    assert.match(comment, /^\| `StatefulSet\/indexer\/lily-a-lily-daemon` \| changed \|/m);
    assert.ok(
      comment.includes(
        `spec.template.spec.containers[daemon].image: changed (sha256 ${short('filecoin/lily:v0.12.0')} → ${short('filecoin/lily:v0.13.0')})`,
      ),
      comment,
    );
    assert.match(comment, /^This comment shows no values: /m);
    // No diff, and none of the values the summary's diffs show.
    assert.doesNotMatch(comment, /```diff|filecoin\/lily:v0\.1[23]|init-datastore|maxUnavailable/);
    assert.match(renderPlanSummary(upgrade), /filecoin\/lily:v0\.13\.0/);
    assert.doesNotMatch(comment, /full plan is in the job summary/);
  });

  it('shows the user-supplied values that change by hash too', () => {
    const plan = createPlanFile({
      ...upgrade,
      values: valuesDiff({ daemon: { logLevel: 'info' } }, { daemon: { logLevel: 'debug' } }, []),
    });
    const comment = renderPlanComment(plan, { runUrl: RUN });
    assert.match(comment, /<summary>User-supplied values \(changed\)<\/summary>/);
    assert.ok(
      comment.includes(`daemon.logLevel: changed (sha256 ${short('info')} → ${short('debug')})`),
    );
    assert.doesNotMatch(comment, /debug$|: info$/m);
    assert.match(renderPlanSummary(plan), /^\+ {2}logLevel: debug$/m);
  });

  it('is cut to GitHub’s limit, keeping the marker, the table, the digest and a pointer to the run', () => {
    const comment = renderPlanComment(
      planOf([configMapChange('small', 2), configMapChange('huge', 3_000)]),
      { runUrl: RUN },
    );
    assert.ok(comment.length < COMMENT_LIMIT, String(comment.length));
    assert.ok(comment.startsWith(stickyMarker('lily-a')));
    assert.ok(comment.includes(`The full plan is in the job summary of [the run](${RUN})`));
    assert.ok(comment.includes(upgrade.digest));
    assert.match(comment, /^\| `ConfigMap\/indexer\/huge` \| changed \|/m);
    // The section that fits stays, the one that does not goes.
    assert.match(comment, /ConfigMap\/indexer\/small \(changed\)<\/summary>/);
    assert.doesNotMatch(comment, /ConfigMap\/indexer\/huge \(changed\)<\/summary>/);
  });

  it('cuts table rows too when they alone are too long', () => {
    const many = Array.from({ length: 2_000 }, (_, i) => ({
      key: `ConfigMap/indexer/cm-${i}`,
      object: `ConfigMap/indexer/lily-a-config-${String(i).padStart(4, '0')}`,
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'indexer',
      name: `lily-a-config-${i}`,
      change: 'added' as const,
      fields: [],
      fieldChanges: [],
      diff: '+data: {}',
    }));
    const comment = renderPlanComment(planOf(many), { runUrl: RUN });
    assert.ok(comment.length < COMMENT_LIMIT);
    assert.match(comment, /^\| … \| \d+ more objects \| \|$/m);
    assert.ok(comment.includes('The full plan is in the job summary'));
  });
});

describe('findStickyComment', () => {
  const [ours, other] = [
    { id: 41898282, login: 'github-actions[bot]' },
    { id: 7, login: 'mallory' },
  ];

  it('picks the newest comment of our own that starts with the release’s marker', () => {
    const comments = [
      { id: 1, body: 'Looks good to me', created_at: '2026-05-01T10:00:00Z', user: other },
      {
        id: 2,
        body: `${stickyMarker('lily-a')}\nold`,
        created_at: '2026-05-01T10:01:00Z',
        user: ours,
      },
      {
        id: 3,
        body: `${stickyMarker('lily-a-2')}\nother release`,
        created_at: '2026-05-01T10:02:00Z',
        user: ours,
      },
      {
        id: 4,
        body: `${stickyMarker('lily-a')}\nnewer`,
        created_at: '2026-05-01T10:03:00Z',
        user: ours,
      },
      {
        id: 5,
        body: `quoting ${stickyMarker('lily-a')}`,
        created_at: '2026-05-01T10:04:00Z',
        user: ours,
      },
      { id: 6, body: null, created_at: '2026-05-01T10:05:00Z', user: ours },
    ];
    assert.equal(findStickyComment(comments, 'lily-a', ours.id)?.id, 4);
    assert.equal(findStickyComment(comments, 'lily-a-2', ours.id)?.id, 3);
    assert.equal(findStickyComment(comments, 'lily-b', ours.id), undefined);
  });

  it('never picks a marker someone else wrote, however new, nor one of a deleted account', () => {
    const marker = `${stickyMarker('lily-a')}\nplanted`;
    const comments = [
      {
        id: 2,
        body: `${stickyMarker('lily-a')}\nours`,
        created_at: '2026-05-01T10:01:00Z',
        user: ours,
      },
      { id: 8, body: marker, created_at: '2026-05-01T10:08:00Z', user: other },
      { id: 9, body: marker, created_at: '2026-05-01T10:09:00Z', user: null },
      { id: 10, body: marker, created_at: '2026-05-01T10:10:00Z' },
    ];
    assert.equal(findStickyComment(comments, 'lily-a', ours.id)?.id, 2);
    assert.equal(findStickyComment(comments.slice(1), 'lily-a', ours.id), undefined);
  });
});

describe('plan file', () => {
  it('counts the changes, and holds the digest a deploy is given, which spells out its parts', () => {
    assert.deepEqual(upgrade.counts, { added: 0, changed: 1, removed: 1, unchanged: 3 });
    assert.equal(changeCount(upgrade), 2);
    const json = JSON.parse(planFileJson(upgrade)) as PlanFile;
    assert.deepEqual(parseDigest(json.digest), upgrade.parts);
  });
});

describe('the changes of a deploy', () => {
  const deployed = createPlanFile({
    ...upgrade,
    parts: upgrade.parts,
    notes: ['Secret/indexer/x was not compared: these credentials may not read it'],
    applied: 4,
  });

  it('says what the revision changed, with no digest, in the summary and the comment', () => {
    const summary = renderPlanSummary(deployed);
    assert.match(summary, /^### Lily deploy: `lily-a` in `indexer`\n/);
    assert.ok(
      summary.includes(
        'Chart `lily@0.1.5-rc1`, revision 4 (against revision 3): 0 added, 1 changed, 1 removed, 3 unchanged.',
      ),
      summary,
    );
    assert.ok(summary.includes('- Secret/indexer/x was not compared'), summary);
    assert.ok(!summary.includes('Plan digest'), summary);
    const comment = renderPlanComment(deployed, { runUrl: RUN, status: 'revision 4 deployed' });
    assert.ok(comment.startsWith(stickyMarker('lily-a')), comment);
    assert.ok(comment.includes('**Preview:** revision 4 deployed'), comment);
    assert.ok(comment.includes(`[The run](${RUN})`), comment);
  });
});
