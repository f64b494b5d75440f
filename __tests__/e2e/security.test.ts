// Secrets never leak; bad input changes nothing; files are private and gone
// afterwards; concurrent deploys end well. Real cluster, helm 3 and helm 4.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as yaml from 'js-yaml';
import { mapWithLimit } from '../../src/background.js';
import { removeAtExit } from '../../test/support/cache.js';
import { recordArgv, recordEnvironments } from '../../test/support/tool-shims.js';
import { BAD_INPUTS } from '../../test/support/bad-inputs.js';
import { type ChartRepo, startChartRepo } from '../../test/support/chart-repo.js';
import {
  CHART_VERSIONS,
  deploy,
  FIXTURE_CHART,
  startDeploy,
  uniqueName,
  useE2E,
} from '../../test/support/e2e.js';
import { unreachableKubeconfig } from '../../test/support/kubeconfigs.js';
import { OciRegistry } from '../../test/support/oci-registry.js';
import { pathWith, scanForLeaks } from '../../test/support/runner.js';
import { helmTool } from '../../test/support/tools.js';

const DB_PASSWORD = 'Cnry-db-P@ss:w/rd+7f3a 9';
const URL_PASSWORD = 'CnryUrlPw7f3a9';
const DB_URL = `postgres://lily:${URL_PASSWORD}@postgres.db.svc:5432/chain?sslmode=require`;
const REPO_PASSWORD = 'Cnry-repo-pw-7f3a9';
const KUBE_TOKEN = 'cnry-kube-token-7f3a9';
const CANARIES = [DB_PASSWORD, URL_PASSWORD, DB_URL, REPO_PASSWORD, KUBE_TOKEN];

const env = useE2E();

const daemon = (behavior = 'ready') => `deploymentType: daemon\ntest:\n  behavior: ${behavior}\n`;

for (const major of [3, 4] as const) {
  describe(`no secret leaks, helm ${major}`, () => {
    let privateRepo: ChartRepo;
    /** The cluster's kubeconfig with a bearer token added (the client certificate still authenticates). */
    let kubeconfigWithToken: string;
    before(async () => {
      privateRepo = await startChartRepo({
        chartDir: FIXTURE_CHART,
        versions: CHART_VERSIONS,
        auth: { username: 'ci', password: REPO_PASSWORD },
      });
      const doc = yaml.load(env.e2e.kubeconfig) as { users: { user: Record<string, string> }[] };
      for (const user of doc.users) user.user.token = KUBE_TOKEN;
      kubeconfigWithToken = yaml.dump(doc);
    });
    after(() => privateRepo.close());

    const namespace = uniqueName(`leak-h${major}`);
    const base = {
      release: 'leaky',
      namespace,
      'create-namespace': 'true',
      kubeconfig: '',
      'repo-url': '',
      'repo-username': 'ci',
      'repo-password': REPO_PASSWORD,
      timeout: '2m',
    };
    const parts = {
      'database-host': 'postgres.db.svc',
      'database-name': 'chain',
      'database-user': 'lily',
      'database-password': DB_PASSWORD,
    };
    // `setup`: a deploy run first (not scanned), so that each test stands alone.
    const scenarios: {
      name: string;
      inputs: Record<string, string>;
      setup?: Record<string, string>;
    }[] = [
      { name: 'success', inputs: { ...parts, values: daemon() } },
      {
        name: 'upgrade',
        setup: { ...parts, release: 'leaky-upgraded', values: daemon() },
        inputs: {
          'database-url': DB_URL,
          release: 'leaky-upgraded',
          values: `${daemon()}image:\n  tag: v0.12.1\n`,
        },
      },
      {
        name: 'fail-fast failure with diagnostics',
        inputs: { ...parts, release: 'leaky-crash', values: daemon('crash-loop') },
      },
      {
        name: 'helm timeout',
        inputs: {
          'database-url': DB_URL,
          release: 'leaky-slow',
          values: daemon('crash-loop'),
          'fail-fast': 'false',
          timeout: '6s',
        },
      },
      {
        name: 'unreachable cluster',
        inputs: { ...parts, kubeconfig: unreachableKubeconfig(KUBE_TOKEN) },
      },
      {
        name: 'bad input',
        inputs: { ...parts, 'database-url': `${DB_URL}&pool=9`, 'database-port': '99999' },
      },
      {
        name: 'uninstall',
        setup: { ...parts, release: 'leaky-gone', values: daemon() },
        inputs: { command: 'uninstall', release: 'leaky-gone' },
      },
    ];

    for (const debug of [false, true]) {
      for (const scenario of scenarios) {
        it(`${scenario.name}${debug ? ', with step debug' : ''}: no canary anywhere`, async () => {
          if (scenario.setup) {
            const setup = await deploy(env.e2e, major, {
              ...base,
              kubeconfig: kubeconfigWithToken,
              'repo-url': privateRepo.repoUrl,
              ...scenario.setup,
            });
            assert.equal(setup.exitCode, 0, setup.log);
          }
          const tool = await helmTool(major);
          const toolCache = await mkdtemp(join(tmpdir(), 'lily-deploy-leak-tools-'));
          const argv = await recordArgv(tool, toolCache);
          const result = await deploy(
            env.e2e,
            major,
            {
              ...base,
              kubeconfig: kubeconfigWithToken,
              'repo-url': privateRepo.repoUrl,
              ...scenario.inputs,
            },
            { debug, toolCache, env: { PATH: pathWith(argv.binDir) } },
          );
          if (['success', 'upgrade', 'uninstall'].includes(scenario.name))
            assert.equal(result.exitCode, 0, result.log);
          else assert.equal(result.exitCode, 1);
          const commandLines = await argv.read();
          // A deploy runs no kubectl (the API client writes the namespace and
          // its Secret); kubectl ran where it is used: the proxy to a cluster
          // unreachable straight, the deletes of an uninstall.
          if (['unreachable cluster', 'uninstall'].includes(scenario.name)) {
            assert.match(commandLines, /^kubectl /m, 'kubectl ran through the shim');
          }
          if (!['bad input', 'unreachable cluster'].includes(scenario.name)) {
            assert.match(commandLines, /^helm /m, 'helm ran through the shim');
          }
          const scan = await scanForLeaks(result, CANARIES, { extra: { argv: commandLines } });
          assert.deepEqual(scan.leaks, []);
          // The streams, logs, outputs, env, summary, argv and every file left.
          console.log(`leak scan, helm ${major}: ${scan.places.length} places, 0 hits`);
          assert.ok(scan.places.length > 10, `scanned every place (${scan.places.length})`);
        });
      }
    }
  });
}

describe('bad input changes nothing', () => {
  it(`${BAD_INPUTS.length} cases: each names its input, downloads nothing and changes no object`, async () => {
    // The namespaces a file before this one on the lane left being deleted
    // change as they go: not the action's doing, so left out.
    const terminating = (
      await env.kube.run([
        'get',
        'namespaces',
        '-o',
        'jsonpath={range .items[?(@.status.phase=="Terminating")]}{.metadata.name} {end}',
      ])
    ).stdout
      .split(' ')
      .filter(Boolean);
    const fingerprint = async () =>
      (
        await env.kube.run([
          'get',
          'namespaces,secrets,configmaps,statefulsets,services,pvc',
          '-A',
          '-o',
          'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {.metadata.uid}:{.metadata.resourceVersion}{"\\n"}{end}',
        ])
      ).stdout
        .split('\n')
        .filter((line) => {
          const [where = ''] = line.split(' ');
          return (
            line !== '' &&
            !terminating.some((ns) => where === `/${ns}` || where.startsWith(`${ns}/`))
          );
        })
        .join('\n');
    const namespace = uniqueName('bad-input');
    // Like the unit tests' minimal inputs: each case adds what it is about.
    const valid = { release: 'lily', namespace, 'create-namespace': 'true' };
    // The cases run four at a time (this file has its cluster to itself): if
    // none changed an object or downloaded, all together changed nothing.
    const before = await fingerprint();
    const requests = () => [...env.e2e.mirror.requests, ...env.e2e.repo.requests];
    const requestsBefore = requests().length;
    await mapWithLimit(BAD_INPUTS, 4, async (bad) => {
      const result = await deploy(env.e2e, 4, { ...valid, ...bad.given });
      assert.equal(result.exitCode, 1, `${bad.name}: failed`);
      const error = result.annotations.find((a) => a.kind === 'error')?.message ?? '';
      assert.match(
        error,
        new RegExp(`Input '${bad.input}'`),
        `${bad.name}: the error names ${bad.input}`,
      );
      if (bad.says) assert.match(error, bad.says, bad.name);
    });
    assert.deepEqual(requests().slice(requestsBefore), [], 'no download');
    assert.equal(await fingerprint(), before, 'no cluster object changed');
    assert.ok(BAD_INPUTS.length >= 40);
  });
});

describe('files', () => {
  it('kubeconfig and values are 0600 in a 0700 directory while the action runs, and gone after the post step', async () => {
    const runnerTemp = await mkdtemp(join(tmpdir(), 'lily-deploy-runner-temp-'));
    const namespace = uniqueName('files');
    const run = await startDeploy(
      env.e2e,
      4,
      {
        release: 'files',
        namespace,
        'create-namespace': 'true',
        values: daemon('crash-loop'),
        'fail-fast-restarts': '1000',
        timeout: '15s',
        'database-url': DB_URL,
      },
      { env: { RUNNER_TEMP: runnerTemp } },
    );
    await run.waitForLog('helm upgrade --install files');
    const [workspace] = (await readdir(runnerTemp)).filter((f) =>
      /^lily-deploy-[A-Za-z0-9]{6}$/.test(f),
    );
    assert.ok(workspace, 'the private workspace exists');
    const dir = join(runnerTemp, workspace);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const files = await readdir(dir);
    for (const name of ['kubeconfig', 'values-inline.yaml', 'values-lily-deploy.yaml']) {
      assert.ok(files.includes(name), `${name} is there`);
      assert.equal((await stat(join(dir, name))).mode & 0o777, 0o600, `${name} is 0600`);
    }
    const result = await run.result;
    assert.equal(result.exitCode, 1, 'never ready: times out');
    const left = (await readdir(runnerTemp)).filter((f) => !f.startsWith('_'));
    assert.equal(left.length, 1, `only the diagnostics file is left: ${left.join(', ')}`);
    assert.match(left[0] ?? '', /^lily-deploy-diagnostics-files-.*\.json$/);
    assert.equal((await stat(join(runnerTemp, left[0] ?? ''))).mode & 0o777, 0o600);
  });

  it('a successful run leaves nothing of ours in RUNNER_TEMP', async () => {
    const runnerTemp = await mkdtemp(join(tmpdir(), 'lily-deploy-runner-temp-'));
    const result = await deploy(
      env.e2e,
      3,
      {
        release: 'tidy',
        namespace: uniqueName('files'),
        'create-namespace': 'true',
        values: daemon(),
      },
      { env: { RUNNER_TEMP: runnerTemp } },
    );
    assert.equal(result.exitCode, 0, result.log);
    assert.deepEqual(
      (await readdir(runnerTemp)).filter((f) => !f.startsWith('_')),
      [],
    );
  });
});

for (const major of [3, 4] as const) {
  describe(`concurrent deploys, helm ${major}`, () => {
    it('two deploys of one release at once never overlap: each success made one revision after the last, a refused one none', async () => {
      const namespace = uniqueName(`both-h${major}`);
      const inputs = { release: 'twin', namespace, 'create-namespace': 'true', values: daemon() };
      // Two jobs of one runner pool: helm is already in the tool cache they share.
      const warm = await deploy(env.e2e, major, { ...inputs, release: 'warm-up' });
      assert.equal(warm.exitCode, 0, warm.log);
      const results = await Promise.all([
        deploy(env.e2e, major, inputs),
        deploy(env.e2e, major, inputs),
      ]);
      const succeeded = results.filter((r) => r.exitCode === 0);
      assert.ok(succeeded.length > 0, 'one of them deploys');
      for (const failed of results.filter((r) => r.exitCode !== 0)) {
        const error = failed.annotations
          .filter((x) => x.kind === 'error')
          .map((x) => x.message)
          .join('\n');
        assert.match(error, /Give the workflow a concurrency group per release/);
      }
      // What the action (with helm's own lock) guarantees whichever run wins:
      // the deploys did not overlap. A refused deploy wrote no revision, and
      // each successful one wrote one that was deployed before the next began
      // (helm upgrades only from a release that is not pending), so two
      // successes are revisions 1 then 2, the first superseded by the second.
      const history = await env.kube.releaseHistory('twin', namespace);
      assert.deepEqual(
        history,
        succeeded.map((_, i) => ({
          revision: i + 1,
          status: i === succeeded.length - 1 ? 'deployed' : 'superseded',
        })),
        `${succeeded.length} successful deploy(s), one after the other`,
      );
      const again = await deploy(env.e2e, major, inputs);
      assert.equal(again.exitCode, 0, again.log);
    });
  });
}

for (const major of [3, 4] as const) {
  describe(`a chart repository that is down, helm ${major}`, () => {
    it('fails naming the repository, before anything in the cluster changes', async () => {
      const repo = await startChartRepo({ chartDir: FIXTURE_CHART, versions: CHART_VERSIONS });
      repo.down(503);
      try {
        const namespace = uniqueName(`repo-down-h${major}`);
        const result = await deploy(env.e2e, major, {
          release: 'unreachable-chart',
          namespace,
          'create-namespace': 'true',
          'repo-url': repo.repoUrl,
          'database-url': DB_URL,
        });
        assert.equal(result.exitCode, 1);
        const error = result.annotations.find((a) => a.kind === 'error')?.message ?? '';
        assert.match(error, /helm pull lily --repo http:\/\/127\.0\.0\.1:\d+ .*exited with code 1/);
        assert.match(error, /503|Service Unavailable/);
        assert.equal(
          await env.kube.find(['get', 'namespace', namespace]),
          undefined,
          'no namespace was created',
        );
      } finally {
        await repo.close();
      }
    });
  });
}

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

for (const major of [3, 4] as const) {
  describe(`an oci:// chart behind a registry login, helm ${major}`, () => {
    it('deploys, leaves no credential under HOME (a self-hosted runner keeps it), and nothing of the run after the post step', async () => {
      const registry = await OciRegistry.start(
        { name: 'lily', version: '0.1.4', file: env.e2e.repo.chart('0.1.4').file },
        { username: 'ci', password: REPO_PASSWORD },
      );
      try {
        const runnerTemp = await mkdtemp(join(tmpdir(), 'lily-deploy-runner-temp-'));
        const result = await deploy(
          env.e2e,
          major,
          {
            release: 'from-registry',
            namespace: uniqueName(`oci-h${major}`),
            'create-namespace': 'true',
            chart: registry.chartRef,
            'repo-url': '',
            'repo-username': 'ci',
            'repo-password': REPO_PASSWORD,
            values: daemon(),
          },
          { env: { ...registry.env, RUNNER_TEMP: runnerTemp } },
        );
        assert.equal(result.exitCode, 0, result.log);
        assert.equal(result.outputs.status, 'deployed');
        assert.ok(
          registry.requests.some((r) => /^GET \/v2\/charts\/lily\/blobs\/\S+ 200$/.test(r)),
          `the chart came from the registry, logged in: ${registry.requests.join(', ')}`,
        );
        // helm keeps a login as base64 of user:password.
        const login = Buffer.from(`ci:${REPO_PASSWORD}`).toString('base64');
        const home = await filesUnder(result.home);
        const holding = [];
        for (const file of home) {
          const text = await readFile(join(result.home, file), 'utf8');
          if (text.includes(login) || text.includes(REPO_PASSWORD)) holding.push(file);
        }
        assert.deepEqual(holding, [], `files under HOME: ${home.join(', ')}`);
        assert.ok(!home.some((file) => file.endsWith('registry/config.json')), home.join(', '));
        assert.deepEqual(
          (await readdir(runnerTemp)).filter((f) => !f.startsWith('_')),
          [],
          'the post step removed the run’s directory, the registry login with it',
        );
      } finally {
        await registry.close();
      }
    });
  });
}

for (const major of [3, 4] as const) {
  describe(`what helm and kubectl are given and what they print, helm ${major}`, () => {
    it("no child process gets an input or the runner's token; helm's output holding workflow commands is shown as text", async () => {
      const RUNTIME_TOKEN = 'Cnry-runtime-token-7f3a9';
      const GITHUB_TOKEN = 'Cnry-github-token-7f3a9';
      const forged = [
        '::add-mask::Lily',
        '::error title=forged by NOTES::a chart posing as an annotation',
        '::stop-commands::chart-notes',
      ];
      const tool = await helmTool(major);
      const toolCache = await mkdtemp(join(tmpdir(), 'lily-deploy-env-tools-'));
      removeAtExit(toolCache);
      const shims = await recordEnvironments(tool, toolCache);
      const result = await deploy(
        env.e2e,
        major,
        {
          release: 'notes',
          namespace: uniqueName(`notes-h${major}`),
          'create-namespace': 'true',
          'database-url': DB_URL,
          values: `deploymentType: daemon\ntest:\n  notes: ${JSON.stringify(forged.join('\n'))}\n`,
        },
        {
          toolCache,
          env: {
            PATH: pathWith(shims.binDir),
            ACTIONS_RUNTIME_TOKEN: RUNTIME_TOKEN,
            GITHUB_TOKEN,
          },
        },
      );
      assert.equal(result.exitCode, 0, result.log);

      // helm printed the chart's NOTES, commands and all: the runner obeyed none.
      const logLines = result.log.split('\n');
      for (const line of forged) assert.ok(logLines.includes(line), `the log shows ${line}`);
      assert.deepEqual(
        result.annotations.filter((a) => a.properties.title === 'forged by NOTES'),
        [],
      );
      assert.equal(result.masker.registered.includes('Lily'), false, 'nothing masked by helm');
      assert.equal(
        logLines.includes('::endgroup::'),
        false,
        "the action's own commands still work",
      );

      const environments = await shims.environments();
      const commands = environments.map((e) => e.command);
      assert.ok(
        commands.some((c) => c.startsWith('helm upgrade')),
        commands.join(', '),
      );
      for (const { command, env: childEnv } of environments) {
        assert.deepEqual(
          Object.keys(childEnv).filter((name) =>
            /^INPUT_|^(ACTIONS_RUNTIME_TOKEN|GITHUB_TOKEN)$/.test(name),
          ),
          [],
          `${command} got none of the action's inputs or tokens`,
        );
        const values = Object.values(childEnv).join('\n');
        for (const canary of [DB_URL, URL_PASSWORD, RUNTIME_TOKEN, GITHUB_TOKEN])
          assert.equal(values.includes(canary), false, `${command} got no secret`);
      }
    });
  });
}
