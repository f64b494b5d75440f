import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as yaml from 'js-yaml';
import { mergeValues, type Values } from '../../src/inputs/values.js';
import { parseManifest } from '../../src/kube/manifest.js';
import { checkLilyConfig, type LilyFinding } from '../../src/lily/config-checks.js';

// Each check of the Lily preflight: a config that trips it, the finding's
// path and words, and the finding's own example applied, which clears it.

const root = new URL('../../', import.meta.url);
const chartDefaults = yaml.load(
  readFileSync(new URL('test/fixtures/charts/lily/values.yaml', root), 'utf8'),
) as Values;
const readmeValues = yaml.load(
  readFileSync(new URL('examples/lily-daemon-values.yaml', root), 'utf8'),
) as Values;

const STORAGE = { name: 'db', secretName: 'lily-db', schema: 'lily' };

/** The README's daemon values with a database storage and the given daemon section on top. */
function daemon(section: Values, top: Values = {}): Values {
  return mergeValues(chartDefaults, readmeValues, top, {
    daemon: { storage: { postgresql: [STORAGE] }, ...section },
  });
}

function cluster(section: Values): Values {
  return mergeValues(chartDefaults, readmeValues, {
    deploymentType: 'cluster',
    cluster: { storage: { postgresql: [STORAGE] }, ...section },
  });
}

function errors(values: Values): LilyFinding[] {
  return checkLilyConfig(values, []).errors;
}

/** The one error a config gives. */
function only(values: Values): LilyFinding {
  const found = errors(values);
  assert.equal(found.length, 1, found.map((f) => f.summary).join('\n'));
  return found[0] as LilyFinding;
}

/** The example is values YAML: applied at the top level, or under the path's parent. */
function applyExample(values: Values, finding: LilyFinding): Values {
  const example = yaml.load(finding.example) as Values;
  const parent = finding.path.replace(/\.[^.]*$/, '').replace(/\[(\d+)\]/g, '.$1');
  const key = finding.path.split('.').at(0) as string;
  if (key in example) return mergeValues(values, example);
  // Under a list item: set the keys on that item.
  const copy = structuredClone(values);
  let node: unknown = copy;
  for (const part of parent.split('.')) node = (node as Values)[part];
  Object.assign(node as Values, example);
  return copy;
}

describe('checkLilyConfig', () => {
  it("passes the README's values file with a database storage and a job that writes to it", () => {
    const values = daemon({
      jobs: [{ command: 'watch', name: 'w', jobArgs: ['--storage=db', '--tasks=blocks'] }],
    });
    assert.deepEqual(errors(values), []);
  });

  it('refuses a daemon job without --storage: the chart gives it none, Lily indexes into a null store', () => {
    const values = daemon({ jobs: [{ command: 'watch', storage: 'db' }] });
    const finding = only(values);
    assert.equal(finding.path, 'daemon.jobs[0].jobArgs');
    assert.match(finding.summary, /daemon job "watch" .* writes to no storage.*null store/);
    assert.equal(finding.example, 'jobArgs: ["--storage=db"]');
    assert.deepEqual(errors(applyExample(values, finding)), []);
  });

  it('refuses a cluster job without storage', () => {
    const values = cluster({ jobs: [{ command: 'watch' }] });
    const finding = only(values);
    assert.equal(finding.path, 'cluster.jobs[0].storage');
    assert.match(finding.summary, /--storage="".*null store/);
    assert.deepEqual(errors(applyExample(values, finding)), []);
  });

  it('leaves tipset-worker jobs alone on a daemon (the chart skips them)', () => {
    assert.deepEqual(errors(daemon({ jobs: [{ command: 'tipset-worker' }] })), []);
  });

  it('refuses a storage entry without schema: lily migrate --schema gets no value', () => {
    const values = daemon({ storage: { postgresql: [{ name: 'db', secretName: 's' }] } });
    const finding = only(values);
    assert.equal(finding.path, 'daemon.storage.postgresql[0].schema');
    assert.match(finding.summary, /flag needs an argument: -schema/);
    assert.deepEqual(errors(applyExample(values, finding)), []);
  });

  it("refuses the chart's default snapshot URL (FilOps, retired) when the import is enabled", () => {
    const values = mergeValues(chartDefaults, readmeValues, {
      importSnapshot: {
        url: chartDefaults.importSnapshot && (chartDefaults.importSnapshot as Values).url,
      },
    });
    const finding = only(values);
    assert.equal(finding.path, 'importSnapshot.url');
    assert.match(finding.summary, /snapshots\.mainnet\.filops\.net.*retired in 2024/);
    assert.deepEqual(errors(applyExample(values, finding)), []);
    assert.deepEqual(
      errors(mergeValues(values, { importSnapshot: { enabled: false } })),
      [],
      'a disabled import downloads nothing',
    );
  });

  it('refuses a kind flag in jobArgs: lily job run does not define it', () => {
    const values = daemon({
      jobs: [{ command: 'watch', jobArgs: ['--storage=db', '--confidence=10'] }],
    });
    const finding = only(values);
    assert.equal(finding.path, 'daemon.jobs[0].jobArgs');
    assert.match(finding.summary, /flag provided but not defined: -confidence/);
    assert.equal(finding.example.split('   #')[0], 'commandArgs: ["--confidence=10"]');
  });

  it('refuses a job storage the config does not define, in either mode', () => {
    const onDaemon = only(daemon({ jobs: [{ command: 'watch', jobArgs: ['--storage', 'dbx'] }] }));
    assert.match(
      onDaemon.summary,
      /storage "dbx", which the config does not define \(storages defined: db\).*unknown storage: "dbx"/,
    );
    const values = cluster({ jobs: [{ command: 'walk', storage: 'other' }] });
    const onCluster = only(values);
    assert.equal(onCluster.path, 'cluster.jobs[0].storage');
    assert.deepEqual(errors(applyExample(values, onCluster)), []);
  });

  it('refuses a cluster job queue: the config defines Notifier1 and Worker1 only', () => {
    const finding = only(cluster({ jobs: [{ command: 'watch', storage: 'db', queue: 'Q' }] }));
    assert.equal(finding.path, 'cluster.jobs[0].queue');
    assert.match(finding.summary, /unknown client.*unknown server/);
  });

  it('refuses a storage name that is not [A-Za-z0-9_]+', () => {
    const values = daemon({
      storage: { postgresql: [{ ...STORAGE, name: 'lily-db' }] },
      jobs: [{ command: 'watch', jobArgs: ['--storage=lily-db'] }],
    });
    const finding = only(values);
    assert.equal(finding.path, 'daemon.storage.postgresql[0].name');
    assert.match(finding.example, /^name: lily_db/);
  });

  it('checks nothing of a section the chart would refuse to render', () => {
    assert.deepEqual(errors({ deploymentType: 'other', other: { jobs: [{}] } }), []);
  });
});

describe('checkLilyConfig warnings (from the rendered release)', () => {
  const statefulSet = (volume: Values) => `
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: lily-r-dev-mainnet-daemon }
spec:
  template:
    spec:
      volumes: [${JSON.stringify({ name: 'datastore-volume', ...volume })}]
`;
  const service = (type: string) => `
apiVersion: v1
kind: Service
metadata: { name: lily-r-dev-mainnet-daemon-api-svc }
spec: { type: ${type}, ports: [{ name: api, port: 1234, targetPort: api }] }
`;

  it('warns about a datastore on emptyDir, naming the value that makes it a PVC', () => {
    const { warnings, errors: found } = checkLilyConfig(
      {},
      parseManifest(statefulSet({ emptyDir: {} })),
    );
    assert.deepEqual(found, []);
    assert.equal(warnings.length, 1);
    const warning = warnings[0] as LilyFinding;
    assert.equal(warning.path, 'daemon.volumes.datastore.enabled');
    assert.match(warning.summary, /emptyDir.*lost/);
    assert.match(warning.example, /enabled: true/);
    assert.deepEqual(
      checkLilyConfig({}, parseManifest(statefulSet({ persistentVolumeClaim: { claimName: 'x' } })))
        .warnings,
      [],
    );
  });

  it('warns about the API exposed as a NodePort or LoadBalancer, not as a ClusterIP', () => {
    for (const type of ['NodePort', 'LoadBalancer']) {
      const [warning] = checkLilyConfig({}, parseManifest(service(type))).warnings;
      assert.match(warning?.summary ?? '', new RegExp(`as a ${type}.*Shutdown`));
    }
    assert.deepEqual(checkLilyConfig({}, parseManifest(service('ClusterIP'))).warnings, []);
  });
});
