import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainClusterError } from '../../src/kube/cluster-errors.js';
import {
  isManagedFor,
  managedLabels,
  namespaceManifest,
  previewAnnotations,
  previewConflict,
  type PreviewFound,
  previewMarksOf,
  previewReleaseLabels,
  releaseIsPreviewOf,
  secretManifest,
  strangersIn,
} from '../../src/kube/objects.js';

describe('secretManifest', () => {
  it('carries the URL base64-encoded under the key, with our labels', () => {
    const manifest = secretManifest({
      name: 's',
      namespace: 'ns',
      key: 'url',
      value: 'postgres://x',
      release: 'r',
    }) as {
      data: Record<string, string>;
      metadata: { labels: Record<string, string> };
    };
    assert.equal(Buffer.from(manifest.data.url!, 'base64').toString(), 'postgres://x');
    assert.ok(isManagedFor(manifest.metadata.labels, 'r'));
    assert.ok(!isManagedFor(manifest.metadata.labels, 'other'));
    assert.ok(
      !isManagedFor({ ...managedLabels('r'), 'app.kubernetes.io/managed-by': 'Helm' }, 'r'),
    );
    assert.ok(!isManagedFor(undefined, 'r'));
  });
});

describe('preview marks', () => {
  const marks = {
    number: 42,
    repository: 'filecoin-project/lily',
    deployedAt: new Date('2026-12-02T10:00:00.000Z'),
  };

  it('are annotations a preview carries and reads back', () => {
    const annotations = previewAnnotations(marks);
    assert.deepEqual(annotations, {
      'lily-deploy/pull-request': '42',
      'lily-deploy/repository': 'filecoin-project/lily',
      'lily-deploy/deployed-at': '2026-12-02T10:00:00.000Z',
    });
    assert.deepEqual(previewMarksOf({ metadata: { annotations } }), marks);
  });

  it('are read only when all are there and valid', () => {
    const good = previewAnnotations(marks);
    const bad: Record<string, string>[] = [
      { 'lily-deploy/pull-request': '0' },
      { 'lily-deploy/pull-request': '4x2' },
      { 'lily-deploy/repository': 'lily' },
      { 'lily-deploy/repository': 'a/b/c' },
      { 'lily-deploy/deployed-at': 'yesterday' },
      { 'lily-deploy/deployed-at': '1' },
      { 'lily-deploy/deployed-at': '2026-13-45T99:00:00Z' },
    ];
    for (const change of bad) {
      const annotations = { ...good, ...change };
      assert.equal(
        previewMarksOf({ metadata: { annotations } }),
        undefined,
        JSON.stringify(change),
      );
    }
    for (const key of Object.keys(good)) {
      const annotations = Object.fromEntries(Object.entries(good).filter(([k]) => k !== key));
      assert.equal(previewMarksOf({ metadata: { annotations } }), undefined, `without ${key}`);
    }
    assert.equal(previewMarksOf({ metadata: {} }), undefined);
    assert.equal(previewMarksOf({}), undefined);
  });

  it('go on the namespace and Secret when given, and change nothing when not', () => {
    const annotations = previewAnnotations(marks);
    assert.deepEqual(namespaceManifest('ns', 'r'), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'ns', labels: managedLabels('r') },
    });
    assert.deepEqual(namespaceManifest('ns', 'r', {}), namespaceManifest('ns', 'r'));
    const namespace = namespaceManifest('ns', 'r', annotations) as { metadata: object };
    assert.deepEqual(previewMarksOf(namespace), marks);
    const spec = { name: 's', namespace: 'ns', key: 'url', value: 'x', release: 'r' };
    assert.ok(!('annotations' in (secretManifest(spec) as { metadata: object }).metadata));
    const secret = secretManifest({ ...spec, annotations }) as { metadata: object };
    assert.deepEqual(previewMarksOf(secret), marks);
  });
});

describe("a preview's marks in helm's record", () => {
  const mine = { number: 5, repository: 'octo/lily-infra' };
  it('labels the release with the pull request and a hash of the repository, valid label values', () => {
    const labels = previewReleaseLabels(mine);
    assert.equal(labels['lily-deploy/pull-request'], '5');
    assert.match(labels['lily-deploy/repository-sha256'] ?? '', /^[0-9a-f]{32}$/);
    assert.ok(releaseIsPreviewOf(labels, mine));
    assert.ok(releaseIsPreviewOf(labels, { ...mine, repository: 'Octo/Lily-Infra' }));
    assert.ok(!releaseIsPreviewOf(labels, { ...mine, number: 6 }));
    assert.ok(!releaseIsPreviewOf(labels, { ...mine, repository: 'octo/lily-archive' }));
    assert.ok(!releaseIsPreviewOf({}, mine), 'a release plain helm installed carries none');
  });
});

describe('previewConflict', () => {
  const mine = { number: 5, repository: 'octo/lily-infra' };
  const theirs = { number: 5, repository: 'octo/lily-archive' };
  const deployedAt = new Date('2026-12-01T00:00:00Z');
  const ours = {
    metadata: {
      labels: managedLabels('lily-pr-5'),
      annotations: previewAnnotations({ ...mine, deployedAt }),
    },
  };
  const found = (more: Partial<PreviewFound>): PreviewFound => ({
    release: 'lily-pr-5',
    namespace: 'lily-pr-5',
    derivedNamespace: true,
    secrets: [],
    ...more,
  });

  it('lets a preview go where nothing or only its own marks are', () => {
    assert.equal(previewConflict(found({}), mine), undefined);
    const secret = { metadata: { name: 'lily-pr-5-lily-db', ...ours.metadata } };
    const labels = previewReleaseLabels(mine);
    assert.equal(
      previewConflict(
        found({ namespaceObject: ours, secrets: [secret], releaseLabels: labels }),
        mine,
      ),
      undefined,
    );
    // Deployed before releases were labelled: its namespace and Secret say it is ours.
    assert.equal(
      previewConflict(found({ namespaceObject: ours, releaseLabels: {} }), mine),
      undefined,
    );
  });

  it("refuses a preview's own namespace that lily-deploy did not create, naming it and what to do", () => {
    const foreign = { metadata: { labels: { team: 'db' } } };
    const why = previewConflict(found({ namespaceObject: foreign }), mine) ?? '';
    assert.match(
      why,
      /^Namespace lily-pr-5 exists and lily-deploy did not create it for preview lily-pr-5/,
    );
    assert.match(why, /database Secret/);
    assert.match(why, /Delete namespace lily-pr-5 .* or set the namespace input/);
    const named = found({ namespaceObject: foreign, derivedNamespace: false });
    assert.equal(
      previewConflict(named, mine),
      undefined,
      'a namespace the user named is theirs to use',
    );
  });

  it("refuses another repository's preview: its namespace's or Secret's marks, or its release record", () => {
    const other = {
      metadata: {
        labels: managedLabels('lily-pr-5'),
        annotations: previewAnnotations({ ...theirs, deployedAt }),
      },
    };
    assert.match(
      previewConflict(found({ namespaceObject: other }), mine) ?? '',
      /^namespace lily-pr-5 holds the preview of octo\/lily-archive#5, not the preview of octo\/lily-infra#5: .*shared-release: true/,
    );
    const secret = { metadata: { name: 'lily-pr-5-lily-db', ...other.metadata } };
    assert.match(
      previewConflict(found({ namespaceObject: ours, secrets: [secret] }), mine) ?? '',
      /^Secret lily-pr-5\/lily-pr-5-lily-db holds the preview of octo\/lily-archive#5/,
    );
    assert.match(
      previewConflict(
        found({ namespaceObject: ours, releaseLabels: previewReleaseLabels(theirs) }),
        mine,
      ) ?? '',
      /^helm's record of release lily-pr-5 in namespace lily-pr-5 says it is another repository's or pull request's preview/,
    );
  });
});

describe('strangersIn', () => {
  it('names what is neither this release’s nor what Kubernetes puts in every namespace', () => {
    const object = (kind: string, name: string, more: object = {}) => ({
      kind,
      metadata: { name },
      ...more,
    });
    const strangers = strangersIn(
      [
        object('ConfigMap', 'kube-root-ca.crt'),
        object('ServiceAccount', 'default'),
        object('Secret', 'default-token-x', {
          type: 'kubernetes.io/service-account-token',
          metadata: {
            name: 'default-token-x',
            annotations: { 'kubernetes.io/service-account.name': 'default' },
          },
        }),
        object('Secret', 'lily-a-lily-db', {
          metadata: { name: 'lily-a-lily-db', labels: managedLabels('lily-a') },
        }),
        object('Lease', 'lily-deploy-lily-a', {
          metadata: { name: 'lily-deploy-lily-a', labels: managedLabels('lily-a') },
        }),
        object('Pod', 'lily-a-0', {
          metadata: { name: 'lily-a-0', labels: { 'app.kubernetes.io/instance': 'lily-a' } },
        }),
        // The pod of a StatefulSet just uninstalled, and one being deleted: going.
        object('Pod', 'lily-lily-a-dev-mainnet-daemon-0', {
          metadata: {
            name: 'lily-lily-a-dev-mainnet-daemon-0',
            ownerReferences: [{ kind: 'StatefulSet', name: 'lily-lily-a-dev-mainnet-daemon' }],
          },
        }),
        object('Pod', 'leftover', {
          metadata: { name: 'leftover', deletionTimestamp: '2026-12-04T22:00:00Z' },
        }),
        // A matrix job's deploy beside it, and someone else's.
        object('Secret', 'lily-b-lily-db', {
          metadata: { name: 'lily-b-lily-db', labels: managedLabels('lily-b') },
        }),
        object('Lease', 'lily-deploy-lily-b', {
          metadata: { name: 'lily-deploy-lily-b', labels: managedLabels('lily-b') },
        }),
        object('ConfigMap', 'team-settings'),
      ],
      'lily-a',
    );
    assert.deepEqual(strangers, [
      'Secret lily-b-lily-db',
      'Lease lily-deploy-lily-b',
      'ConfigMap team-settings',
    ]);
  });
});

describe('explainClusterError', () => {
  const cases: [string, RegExp | undefined][] = [
    [
      'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?',
      /refused/,
    ],
    ['dial tcp: lookup k8s.invalid on 127.0.0.53:53: no such host', /does not resolve/],
    ['Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout', /in time/],
    [
      'Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown authority',
      /certificate/,
    ],
    ['error: You must be logged in to the server (Unauthorized)', /credentials/],
    [
      'Error from server (Forbidden): secrets is forbidden: User "ci" cannot create resource',
      /permission/,
    ],
    ['error: context "prod" does not exist', /kube-context/],
    ['Error: template: lily/templates/x.yaml:3: bad', undefined],
  ];
  for (const [output, reason] of cases) {
    it(output.slice(0, 50), () => {
      const got = explainClusterError(output);
      if (reason) assert.match(got ?? '', reason);
      else assert.equal(got, undefined);
    });
  }
});
