import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as yaml from 'js-yaml';
import { DEFAULT_HELM_VERSION } from '../../src/inputs/helm.js';
import { parseInputs } from '../../src/inputs/parse.js';
import { BAD_INPUTS } from '../../test/support/bad-inputs.js';

const ACTION = yaml.load(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as {
  inputs: Record<string, { default?: string; required?: boolean }>;
};

/** The inputs as the runner passes them: action.yml defaults, then the step's `with:`. */
function source(given: Record<string, string>) {
  return (name: string) => {
    if (!(name in ACTION.inputs))
      throw new Error(`the parser read '${name}', which action.yml does not declare`);
    return given[name] ?? ACTION.inputs[name]?.default ?? '';
  };
}

const MINIMAL = { release: 'lily-a', 'chart-version': '0.1.4' };

const PUSH = { eventName: 'push', payload: {} };

function parse(given: Record<string, string>, event = PUSH) {
  return parseInputs(source({ ...MINIMAL, ...given }), event);
}

describe('parseInputs', () => {
  it('turns the minimal inputs into settings with the documented defaults', () => {
    const { settings, errors } = parse({});
    assert.deepEqual(errors, []);
    assert.ok(settings);
    assert.equal(settings.release, 'lily-a');
    assert.equal(settings.namespace, 'default');
    assert.deepEqual(settings.chart, { kind: 'repo', name: 'lily' });
    assert.equal(settings.repo.url, 'https://filecoin-project.github.io/helm-charts');
    assert.equal(settings.repo.name, 'filecoin');
    assert.equal(settings.helm.version, DEFAULT_HELM_VERSION);
    assert.equal(settings.helm.downloadBaseUrl, 'https://get.helm.sh');
    assert.equal(settings.wait, true);
    assert.equal(settings.atomic, false);
    assert.equal(settings.timeout, '10m');
    assert.equal(settings.database, undefined);
  });

  it('takes false for false: a boolean input given false is off, whatever its default', () => {
    const { settings } = parse({
      wait: 'false',
      'fail-fast': 'False',
      'delete-pvcs': 'FALSE',
      'delete-namespace': 'false',
      'create-namespace': 'true',
      atomic: 'true',
    });
    assert.ok(settings);
    assert.equal(settings.wait, false);
    assert.equal(settings.failure.failFast, false);
    assert.equal(settings.cleanup.deletePvcs, false);
    assert.equal(settings.cleanup.deleteNamespace, false);
    assert.equal(settings.createNamespace, true);
    assert.equal(settings.atomic, true);
  });

  it('gives the same settings whether action.yml supplies the defaults or not', () => {
    const withDefaults = parseInputs(source(MINIMAL), PUSH).settings;
    const bare = parseInputs(
      (name) => (MINIMAL as Record<string, string>)[name] ?? '',
      PUSH,
    ).settings;
    assert.deepEqual(bare, withDefaults);
  });

  it('sweeps with action.yml’s defaults and no release or chart version (a token to read pull requests)', () => {
    const { settings, errors } = parseInputs(
      source({ command: 'sweep', 'github-token': 'ghs_sweep' }),
      PUSH,
    );
    assert.deepEqual(errors, []);
    assert.ok(settings);
    assert.equal(settings.command, 'sweep');
    assert.equal(settings.release, '');
    assert.deepEqual(settings.sweep, {
      previewTtlMs: undefined,
      dryRun: false,
      otherRepositories: false,
    });
    assert.deepEqual(settings.lock, { timeoutMs: 300_000 });
  });

  it('composes the database URL from parts, percent-encoding user and password', () => {
    const { settings, secrets } = parse({
      'database-host': 'db.example.com',
      'database-name': 'chain',
      'database-user': 'lily@ops',
      'database-password': 'p@ss:w/o?r#d%+ x',
    });
    const db = settings?.database;
    assert.ok(db);
    assert.equal(
      db.url,
      'postgres://lily%40ops:p%40ss%3Aw%2Fo%3Fr%23d%25%2B%20x@db.example.com:5432/chain?sslmode=require',
    );
    assert.equal(db.secretName, 'lily-a-lily-db');
    assert.equal(db.secretKey, 'url');
    assert.equal(db.storageName, 'db');
    assert.equal(db.valuesPath, 'auto');
    for (const form of ['p@ss:w/o?r#d%+ x', 'p%40ss%3Aw%2Fo%3Fr%23d%25%2B%20x', db.url]) {
      assert.ok(secrets.includes(form), `secrets include ${form}`);
    }
  });

  it('collects the credentials inside a base64 kubeconfig as secrets', () => {
    const kubeconfig = Buffer.from(
      'apiVersion: v1\nclusters: [{name: c, cluster: {server: "https://k"}}]\ncontexts: [{name: ctx, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {token: canary-token-123}}]\n',
    ).toString('base64');
    const { settings, secrets } = parse({ kubeconfig, 'kube-context': 'ctx' });
    assert.ok(settings?.kubeconfig?.includes('canary-token-123'));
    assert.ok(secrets.includes('canary-token-123'));
    assert.ok(secrets.includes(kubeconfig));
  });

  it('takes chart references of the three kinds', () => {
    assert.deepEqual(parse({ chart: 'oci://ghcr.io/org/lily' }).settings?.chart, {
      kind: 'oci',
      url: 'oci://ghcr.io/org/lily',
    });
    assert.deepEqual(parse({ chart: './charts/lily' }).settings?.chart, {
      kind: 'local',
      path: './charts/lily',
    });
    assert.deepEqual(parse({ chart: 'lily-1.0.0.tgz' }).settings?.chart, {
      kind: 'local',
      path: 'lily-1.0.0.tgz',
    });
  });

  it('accepts prerelease chart versions, a leading v, latest, and helm versions with or without v', () => {
    assert.equal(parse({ 'chart-version': '0.1.5-rc1' }).settings?.chartVersion, '0.1.5-rc1');
    assert.equal(parse({ 'chart-version': 'v0.1.4' }).settings?.chartVersion, '0.1.4');
    assert.equal(parse({ 'chart-version': 'latest' }).settings?.chartVersion, 'latest');
    assert.equal(parse({ 'helm-version': 'v3.17.2' }).settings?.helm.version, '3.17.2');
    assert.equal(parse({ 'helm-version': '4.1.4' }).settings?.helm.version, '4.1.4');
    assert.equal(parse({ 'helm-version': 'latest' }).settings?.helm.version, 'latest');
  });

  it('splits extra-args like a shell, without running one', () => {
    const args = parse({
      'extra-args': `--set-string a='x y' --description "it's \\"quoted\\"" $(rm -rf /)`,
    }).settings?.extraArgs;
    assert.deepEqual(args, [
      '--set-string',
      'a=x y',
      '--description',
      `it's "quoted"`,
      '$(rm',
      '-rf',
      '/)',
    ]);
  });
});

describe('parseInputs refuses bad input, naming the input', () => {
  for (const bad of BAD_INPUTS) {
    it(bad.name, () => {
      const { settings, errors } = parse(bad.given);
      assert.equal(settings, undefined);
      const error = errors.find((e) => e.startsWith(`Input '${bad.input}'`));
      assert.ok(error, `an error names ${bad.input}; got ${JSON.stringify(errors)}`);
      if (bad.says) assert.match(error, bad.says);
    });
  }

  it('never quotes a secret input in an error', () => {
    const password = 'Sup3r-S3cret-Pw';
    const url = `postgres://u:${password}@h/db?sslmode=bogus&evil=1`;
    const kubeconfig = `users: [{name: u, user: {token: ${password}}}]\nfoo: [`;
    const { errors } = parse({
      'database-url': url,
      'database-password': password,
      kubeconfig,
      'repo-password': password,
    });
    assert.ok(errors.length >= 3);
    assert.ok(BAD_INPUTS.length >= 40, 'at least 40 bad-input cases');
    for (const error of errors) {
      assert.ok(!error.includes(password), error);
      assert.ok(!error.includes(encodeURIComponent(password)), error);
    }
  });

  it('reports every bad input at once', () => {
    const { errors } = parse({ release: 'Bad', timeout: 'x', wait: 'maybe' });
    assert.deepEqual(
      errors.map((e) => /^Input '([^']+)'/.exec(e)?.[1]),
      ['release', 'wait', 'timeout'],
    );
  });
});
