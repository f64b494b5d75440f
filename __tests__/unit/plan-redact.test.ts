import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { planChanges, valuesDiff } from '../../src/plan/diff.js';
import { digestParts } from '../../src/plan/digest.js';
import type { PlanObject } from '../../src/plan/objects.js';
import { createPlanFile, planFileJson } from '../../src/plan/plan-file.js';
import { renderPlanComment, renderPlanSummary } from '../../src/plan/render.js';
import { CANARY, lilyManifest, liveRelease, rendered } from './plan-fixtures.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const short = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);

/** Every text a plan produces: the plan file, the job summary, the comment. */
function outputs(
  desired: PlanObject[],
  live: PlanObject[],
  previous: PlanObject[],
  secrets: string[],
  values: { live?: Record<string, unknown>; planned: Record<string, unknown> } = { planned: {} },
) {
  const plan = createPlanFile({
    release: 'lily-a',
    namespace: 'indexer',
    chart: 'lily',
    parts: digestParts({
      manifest: lilyManifest(),
      chartVersion: '0.1.4',
      values: values.planned,
      liveRevision: 3,
    }),
    validation: { serverSide: true },
    changes: planChanges(desired, live, previous, secrets),
    valuesDiff: valuesDiff(values.live, values.planned, secrets),
  });
  return {
    plan,
    texts: {
      'plan file': planFileJson(plan),
      summary: renderPlanSummary(plan),
      comment: renderPlanComment(plan, { runUrl: 'https://github.example/octo/run/1' }),
    },
  };
}

function assertAbsent(texts: Record<string, string>, forbidden: string[]) {
  for (const [where, text] of Object.entries(texts))
    for (const value of forbidden)
      assert.equal(text.includes(value), false, `${value} shows in the ${where}:\n${text}`);
}

describe('plan redaction', () => {
  const oldUrl = `postgres://lily:${CANARY}-old@db:5432/lily`;
  const newUrl = `postgres://lily:${CANARY}@db:5432/lily`;
  const forbidden = [CANARY, b64(CANARY), b64(newUrl), b64(oldUrl), b64(`${CANARY}-old`)];

  it('a Secret whose values change shows which keys changed, by hash, never a value', () => {
    const live = liveRelease({ apiToken: `${CANARY}-old`, storageUrl: oldUrl });
    const previous = rendered({ apiToken: `${CANARY}-old`, storageUrl: oldUrl });
    const desired = rendered({ apiToken: CANARY, storageUrl: newUrl });
    const { plan, texts } = outputs(desired, live, previous, []);
    assertAbsent(texts, forbidden);
    const secret = plan.changes.find((c) => c.kind === 'Secret')!;
    assert.equal(secret.change, 'changed');
    assert.deepEqual(secret.fields, ['data.LILY_API_TOKEN', 'data.storage-url']);
    assert.equal(
      secret.diff,
      [
        `# data.LILY_API_TOKEN: changed (sha256 ${short(`${CANARY}-old`)} → ${short(CANARY)})`,
        `# data.storage-url: changed (sha256 ${short(oldUrl)} → ${short(newUrl)})`,
      ].join('\n'),
    );
    assert.match(texts.summary, /data\.storage-url: changed \(sha256 [0-9a-f]{8} → [0-9a-f]{8}\)/);
  });

  it('a first install and a removal of the Secret name its keys, never a value', () => {
    const added = outputs(rendered({ apiToken: CANARY, storageUrl: newUrl }), [], [], []);
    assertAbsent(added.texts, forbidden);
    assert.match(added.texts.summary, /# data\.LILY_API_TOKEN: added \(sha256 [0-9a-f]{8}\)/);
    const live = liveRelease({ apiToken: CANARY, storageUrl: newUrl });
    const previous = rendered({ apiToken: CANARY, storageUrl: newUrl });
    const removed = outputs(
      previous.filter((o) => o.kind !== 'Secret'),
      live,
      previous,
      [],
    );
    assertAbsent(removed.texts, forbidden);
    assert.match(removed.texts.summary, /# data\.storage-url: removed \(sha256 [0-9a-f]{8}\)/);
  });

  it('a Secret that does not change is unchanged, though the server keeps stringData as data', () => {
    const live = liveRelease({ apiToken: CANARY, storageUrl: newUrl });
    const desired = rendered({ apiToken: CANARY, storageUrl: newUrl });
    const secret = planChanges(desired, live, desired, []).find((c) => c.kind === 'Secret')!;
    assert.equal(secret.change, 'unchanged');
  });

  it('a Secret inside a List, of any List kind, shows which keys change, by hash, never a value', () => {
    const list = (kind: string, url: string) => ({
      apiVersion: 'v1',
      kind,
      items: [
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'nested-db' },
          data: { url: b64(url) },
          stringData: { token: `${url}-token` },
        },
      ],
    });
    for (const kind of ['List', 'SecretList']) {
      const object = (url: string): PlanObject => ({
        key: `v1/${kind}/indexer/`,
        apiVersion: 'v1',
        kind,
        namespace: 'indexer',
        name: '',
        body: list(kind, url),
      });
      const added = outputs([object(newUrl)], [], [], []);
      assertAbsent(added.texts, [...forbidden, `${newUrl}-token`]);
      assert.ok(added.texts.summary.includes(`url: (sha256 ${short(newUrl)})`), kind);
      const changed = outputs([object(newUrl)], [object(oldUrl)], [object(oldUrl)], []);
      assertAbsent(changed.texts, [...forbidden, `${newUrl}-token`, `${oldUrl}-token`]);
      const change = changed.plan.changes[0]!;
      assert.equal(change.change, 'changed', kind);
      assert.match(change.diff, new RegExp(`^\\+ +url: '?\\(sha256 ${short(newUrl)}\\)'?$`, 'm'));
    }
  });

  it('every value the action masks is replaced, however YAML would quote it', () => {
    const masked = "it's-a-masked-pw";
    const desired = rendered({ rc: true });
    const configMap = desired.find((o) => o.kind === 'ConfigMap')!.body;
    configMap.data = {
      ...(configMap.data as object),
      'db.conf': `password: ${masked}`,
      [`key-${masked}`]: 'x',
    };
    const { plan, texts } = outputs(desired, liveRelease(), rendered(), [masked], {
      live: { daemon: { password: 'old' } },
      planned: { daemon: { password: masked } },
    });
    assertAbsent(texts, [masked, "it''s-a-masked-pw"]);
    const change = plan.changes.find((c) => c.kind === 'ConfigMap')!;
    assert.deepEqual(change.fields, ['data["db.conf"]', 'data["key-***"]']);
    assert.match(change.diff, /^\+ {2}db\.conf: 'password: \*\*\*'$/m);
    assert.match(plan.valuesDiff, /^\+ {2}password: '\*\*\*'$/m);
  });
});
