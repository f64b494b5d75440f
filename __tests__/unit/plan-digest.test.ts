import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalJson,
  type DigestInput,
  digestMismatch,
  digestParts,
  planDigest,
} from '../../src/plan/digest.js';
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
  it('is sha256 of the plan, the same for the same plan', () => {
    assert.match(planDigest(planned), /^sha256:[0-9a-f]{64}$/);
    assert.equal(planDigest(planned), planDigest(structuredClone(planned)));
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
  const expected = planDigest(planned);
  const parts = digestParts(planned);

  it('is undefined when the deploy applies what was planned', () => {
    assert.equal(digestMismatch(expected, planned, parts), undefined);
    assert.equal(digestMismatch(expected, planned), undefined);
  });

  it('names what changed since the plan', () => {
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
    ];
    for (const [change, message] of cases) {
      const now = { ...planned, ...change };
      const mismatch = digestMismatch(expected, now, parts);
      assert.match(mismatch ?? '', message);
      assert.ok(mismatch?.startsWith(`The plan-digest ${expected} does not match`), mismatch);
      assert.ok(mismatch?.includes(planDigest(now)), mismatch);
    }
    const both = digestMismatch(
      expected,
      { ...planned, chartVersion: '0.1.5', liveRevision: 4 },
      parts,
    );
    assert.match(both ?? '', /the chart version changed .*; the live release moved/);
  });

  it('says it cannot name the part without the plan, or with the parts of another plan', () => {
    const now = { ...planned, chartVersion: '0.1.5' };
    assert.match(
      digestMismatch(expected, now) ?? '',
      /what changed since the plan cannot be named/,
    );
    const otherPlan = digestParts({ ...planned, liveRevision: 1 });
    assert.match(
      digestMismatch(expected, now, otherPlan) ?? '',
      /what changed since the plan cannot be named/,
    );
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
