import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planChanges, valuesDiff } from '../../src/plan/diff.js';
import { digestParts } from '../../src/plan/digest.js';
import type { PlanObject } from '../../src/plan/objects.js';
import { createPlanFile, planFileJson } from '../../src/plan/plan-file.js';
import { isSecretName, namedSecretValues, valuesAtKeys } from '../../src/plan/redact.js';
import { renderPlanComment, renderPlanSummary } from '../../src/plan/render.js';
import { CANARY, lilyManifest, liveRelease, rendered, short } from './plan-fixtures.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
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
    values: valuesDiff(values.live, values.planned, secrets),
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

  it('a value under a key named like a secret, or of an env entry named like one, is masked everywhere; its change shows by hash', () => {
    const [apiKey, oldKey] = [`${CANARY}-partner`, `${CANARY}-partner-old`];
    const withEnv = (objects: PlanObject[], value: string) => {
      const daemon = objects.find((o) => o.kind === 'StatefulSet')!.body as {
        spec: { template: { spec: { containers: { env: unknown[] }[] } } };
      };
      daemon.spec.template.spec.containers[0]!.env.push({ name: 'PARTNER_API_KEY', value });
      // The chart also writes it into its config, under a key that names nothing.
      const config = objects.find((o) => o.kind === 'ConfigMap')!.body;
      config.data = {
        ...(config.data as object),
        'partner.toml': `endpoint = "x"\nkey = "${value}"\n`,
      };
      return objects;
    };
    const { plan, texts } = outputs(
      withEnv(rendered(), apiKey),
      withEnv(liveRelease(), oldKey),
      withEnv(rendered(), oldKey),
      [],
      {
        live: { daemon: { env: [{ name: 'PARTNER_API_KEY', value: oldKey }], apiKey: oldKey } },
        planned: { daemon: { env: [{ name: 'PARTNER_API_KEY', value: apiKey }], apiKey } },
      },
    );
    assertAbsent(texts, [CANARY]);
    const daemon = plan.changes.find((c) => c.kind === 'StatefulSet')!;
    const path = 'spec.template.spec.containers[daemon].env[PARTNER_API_KEY].value';
    assert.deepEqual(daemon.fieldChanges, [
      { path, change: 'changed', from: short(oldKey), to: short(apiKey) },
    ]);
    assert.equal(daemon.diff, `# ${path}: changed (sha256 ${short(oldKey)} → ${short(apiKey)})`);
    // Masked in the chart's config text too: alike there, its change is a line by hash.
    const config = plan.changes.find((c) => c.kind === 'ConfigMap')!;
    assert.match(
      config.diff,
      /^# data\["partner\.toml"\]: changed \(sha256 [0-9a-f]{8} → [0-9a-f]{8}\)$/,
    );
    assert.match(
      plan.valuesDiff,
      /^# daemon\.apiKey: changed \(sha256 [0-9a-f]{8} → [0-9a-f]{8}\)$/m,
    );
    assert.match(plan.valuesDiff, /^# daemon\.env\[PARTNER_API_KEY\]\.value: changed /m);
    assert.ok(
      texts.comment.includes(`${path}: changed (sha256 ${short(oldKey)} → ${short(apiKey)})`),
    );
    assert.ok(texts.summary.includes(`# ${path}: changed (sha256 `), texts.summary);
  });

  it('tells keys named like secrets by their words', () => {
    const secret = [
      'apiKey',
      'PARTNER_API_KEY',
      'secretKey',
      'accessKey',
      'private-key',
      'password',
    ];
    const alsoSecret = ['REDIS_PASSWORD', 'db_passwd', 'authToken', 'credentials', 'clientSecret'];
    const notSecret = ['keyring', 'key', 'keySize', 'monkey', 'secretName', 'passwordFile'];
    const pointers = ['existingSecret', 'secretKeyRef', 'tokenPath', 'name', 'value'];
    for (const key of [...secret, ...alsoSecret]) assert.equal(isSecretName(key), true, key);
    for (const key of [...notSecret, ...pointers]) assert.equal(isSecretName(key), false, key);
  });

  it('takes the values of such keys and env entries, not those too short or plain to mask anywhere', () => {
    const values = {
      daemon: {
        env: [
          { name: 'PARTNER_API_KEY', value: 'partner-key-1' },
          { name: 'GOLOG_LOG_LEVEL', value: 'debug-level' },
          { name: 'TOKEN_CHECK', value: 'true' },
        ],
        apiKeys: ['key-one-1', 'key-two-2'],
        password: 'abc',
        secretKey: 4242_4242,
        credentials: { user: 'lily-user', region: 'eu-west-1' },
        keyring: 'keyring-path',
      },
    };
    assert.deepEqual(namedSecretValues(values).sort(), [
      '42424242',
      'key-one-1',
      'key-two-2',
      'partner-key-1',
    ]);
  });

  it("finds what an earlier --set of the same keys left in the live release's values", () => {
    const live = {
      labels: { build: 'old-build-1', 'a.b': 'dotted-1' },
      daemon: { env: [{ name: 'X', value: 'env-value-1' }], tags: ['t-one', 't-two'] },
    };
    assert.deepEqual(
      valuesAtKeys(live, [
        'labels.build',
        'labels.a\\.b',
        'daemon.env[0].value',
        'daemon.tags',
        'nope.x',
      ]),
      ['old-build-1', 'dotted-1', 'env-value-1', 't-one', 't-two'],
    );
  });
});
