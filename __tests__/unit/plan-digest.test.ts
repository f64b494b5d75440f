import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalJson,
  type DigestInput,
  digestMismatch,
  digestParts,
  planDigest,
} from '../../src/plan/digest.js';
import { parseDigest } from '../../src/plan-digest.js';
import { lilyManifest } from './plan-fixtures.js';

const planned: DigestInput = {
  manifest: lilyManifest({ rc: true }),
  chartVersion: '0.1.5-rc1',
  values: { daemon: { logLevel: 'info', storage: { size: '100Gi' } } },
  liveRevision: 3,
};

/** The same YAML documents, each with its top-level keys in reverse order. */
function reversedKeys(manifest: string): string {
  return manifest
    .split(/^---\n/m)
    .map((doc) =>
      doc
        .split(/\n(?=\S)/)
        .reverse()
        .join('\n')
        .concat('\n'),
    )
    .join('---\n');
}

describe('planDigest', () => {
  it('spells out the chart version and revision beside digests of the values and manifest', () => {
    assert.match(
      planDigest(planned),
      /^lily-plan-1:chart=0\.1\.5-rc1,revision=3,values=[0-9a-f]{32},manifest=[0-9a-f]{32}$/,
    );
    assert.equal(planDigest(planned), planDigest(structuredClone(planned)));
    assert.match(planDigest({ ...planned, liveRevision: undefined }), /,revision=none,/);
  });

  it('reads back into its parts; any other text is no digest', () => {
    assert.deepEqual(parseDigest(` ${planDigest(planned)}\n`), digestParts(planned));
    const first = digestParts({ ...planned, liveRevision: undefined });
    assert.deepEqual(parseDigest(planDigest({ ...planned, liveRevision: undefined })), first);
    for (const text of [
      '',
      `sha256:${'a'.repeat(64)}`,
      planDigest(planned).replace('lily-plan-1', 'lily-plan-2'),
      planDigest(planned).replace('revision=3', 'revision=03'),
      planDigest(planned).slice(0, -1),
    ])
      assert.equal(parseDigest(text), undefined, text);
  });

  it('is stable under key order, document order, YAML comments and empty documents', () => {
    const docs = planned.manifest.split(/^---\n/m).filter((d) => d.trim() !== '');
    const reshaped = [
      '---\n# rendered again\n---\n',
      ...docs.reverse().map((d) => d.replace(/^# Source: .*$/m, '# Source: elsewhere.yaml')),
    ].join('---\n');
    assert.equal(planDigest({ ...planned, manifest: reshaped }), planDigest(planned));
    assert.notEqual(reversedKeys(planned.manifest), planned.manifest);
    assert.equal(
      planDigest({ ...planned, manifest: reversedKeys(planned.manifest) }),
      planDigest(planned),
    );
    const values = { daemon: { storage: { size: '100Gi' }, logLevel: 'info' } };
    assert.equal(planDigest({ ...planned, values }), planDigest(planned));
  });

  it('differs when the chart version, the values, the manifest or the live revision differ', () => {
    const variants: DigestInput[] = [
      { ...planned, chartVersion: '0.1.5' },
      { ...planned, values: { daemon: { logLevel: 'debug', storage: { size: '100Gi' } } } },
      { ...planned, manifest: lilyManifest({ rc: true, logLevel: 'debug' }) },
      { ...planned, liveRevision: 4 },
      { ...planned, liveRevision: undefined },
    ];
    const digests = new Set([planned, ...variants].map(planDigest));
    assert.equal(digests.size, variants.length + 1);
  });
});

describe('digestMismatch', () => {
  const parts = digestParts(planned);

  it('is undefined when the deploy applies what was planned', () => {
    assert.equal(digestMismatch(parts, structuredClone(planned)), undefined);
  });

  it('names each part that changed since the plan', () => {
    const cases: [Partial<DigestInput>, RegExp][] = [
      [
        { chartVersion: '0.1.5' },
        /since the plan, the chart version changed \(0\.1\.5-rc1 → 0\.1\.5\)\./,
      ],
      [{ values: { daemon: { logLevel: 'debug' } } }, /since the plan, the values changed\./],
      [
        { manifest: lilyManifest({ rc: true, logLevel: 'debug' }) },
        /since the plan, the rendered manifest changed\./,
      ],
      [
        { liveRevision: 4 },
        /since the plan, the live release moved \(planned against revision 3, now revision 4\)\./,
      ],
      [{ liveRevision: undefined }, /planned against revision 3, now no release/],
    ];
    for (const [change, message] of cases) {
      const now = { ...planned, ...change };
      const mismatch = digestMismatch(parts, now);
      assert.match(mismatch ?? '', message);
      assert.ok(mismatch?.includes(`plan-digest ${planDigest(planned)}`), mismatch);
      assert.ok(mismatch?.includes(`now ${planDigest(now)}`), mismatch);
    }
    const both = digestMismatch(parts, { ...planned, chartVersion: '0.1.5', liveRevision: 4 });
    assert.match(both ?? '', /the chart version changed .*; the live release moved/);
  });
});

describe('canonicalJson', () => {
  it('orders keys at every depth and keeps list order', () => {
    assert.equal(
      canonicalJson({ b: [2, { d: 1, c: 0 }], a: 'x' }),
      '{"a":"x","b":[2,{"c":0,"d":1}]}',
    );
  });
});
