// The README's example workflows run by a real runner, nektos/act in host mode
// (no Docker), against the e2e cluster, on Helm 3 and Helm 4: deploy on push,
// a PR preview opened then closed (uninstall), and a production deploy that
// fails. Then the same scenarios through our runner emulation
// (test/support/runner.ts), on which the other e2e and leak tests rest: both
// must give the next step the same outputs and mask the same values (act has
// no value encoders: see assertSameMasks).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as yaml from 'js-yaml';
import {
  ACTION_STEP_ID,
  type ActResult,
  outputsSeenByNextStep,
  logWithout,
  runWorkflow,
  stepLog,
  workflowRepository,
  workflowUnderTest,
  writeFiles,
} from '../../test/support/act.js';
import { removeAtExit, REPO_ROOT } from '../../test/support/cache.js';
import {
  deployInputs,
  type E2E,
  KWOK_SMALL_VALUES,
  README_VALUES,
  uniqueName,
  useE2E,
} from '../../test/support/e2e.js';
import { GithubApi } from '../../test/support/github-api.js';
import { leaksInLog } from '../../test/support/leaks.js';
import { type ActionResult, leaks, runAction } from '../../test/support/runner.js';
import { type HelmMajor, helmTool } from '../../test/support/tools.js';
import { parseCommand } from '../../test/support/workflow-commands.js';
import { mergeValues, type Values } from '../../src/inputs/values.js';

const env = useE2E();
let api: GithubApi;
before(async () => {
  api = await GithubApi.start();
});
after(() => api.close());

const EXAMPLES = join(REPO_ROOT, '.github', 'workflows', 'examples');
const PASSWORD = 'act p@ss:w/rd?#%+';
const TOKEN = 'ghs_actCanaryToken456';
const DATABASE_URL = `postgres://lily:${encodeURIComponent(PASSWORD)}@db:5432/chain?sslmode=require`;
const CANARIES = [PASSWORD, TOKEN, DATABASE_URL];

// The user's values: the README's file for the published chart, sized to the fake node.
const HEALTHY = mergeValues(
  ...[README_VALUES, KWOK_SMALL_VALUES].map((f) => yaml.load(readFileSync(f, 'utf8')) as Values),
);

/** The user's files the example workflows read (values-files), in their repository. */
const USER_FILES = {
  'deploy/lily-values.yaml': yaml.dump(HEALTHY),
  'deploy/lily-preview-values.yaml': yaml.dump(
    mergeValues(HEALTHY, { daemon: { volumes: { datastore: { enabled: true } } } }),
  ),
  // Production's pods crash-loop (a kwok behaviour of the e2e cluster): the failing deploy.
  'deploy/lily-production.yaml': 'test:\n  behavior: crash-loop\n',
};

/** One run of an example workflow: its event, and what differs from the README. */
interface Scenario {
  example: 'deploy-on-push.yml' | 'pr-preview.yml' | 'production.yml' | 'plan-on-pr.yml';
  event: 'push' | 'pull_request' | 'workflow_dispatch';
  payload: Record<string, unknown>;
  /** workflow_dispatch inputs. */
  inputs?: Record<string, string>;
  /** Inputs added to the action's `with:` (besides those pointing at the local servers). */
  with?: Record<string, string>;
}

/** What either runner produced, in the terms both are compared in. */
interface Run {
  /** The action's outputs as the next step sees them. */
  outputs: Record<string, string>;
  /** The action's main-step log lines that hold a mask (***), act's decoration removed. */
  maskedLines: string[];
  /** What a later step printing PROBE shows, line by line. */
  probe: string[];
}

/** Every canary in the forms leaks() looks for, one per line: a later step prints them. */
const PROBE = [
  ...new Set(
    CANARIES.flatMap((c) => [
      c,
      encodeURIComponent(c),
      Buffer.from(c).toString('base64'),
      JSON.stringify(c).slice(1, -1),
    ]),
  ),
].map((form, i) => `${i}: ${form}`);

/** The workflow's secrets and variables (the kubeconfig holds a context named production too). */
function secretsOf(e2e: E2E): Record<string, string> {
  const kubeconfig = yaml.load(e2e.kubeconfig) as {
    contexts: { name: string; context: unknown }[];
    'current-context': string;
  };
  const current = kubeconfig.contexts.find((c) => c.name === kubeconfig['current-context']);
  kubeconfig.contexts.push({ name: 'production', context: current?.context });
  const text = yaml.dump(kubeconfig);
  return {
    KUBECONFIG: text,
    PREVIEW_KUBECONFIG: text,
    LILY_DB_PASSWORD: PASSWORD,
    PREVIEW_DATABASE_URL: DATABASE_URL,
    LILY_DATABASE_URL: DATABASE_URL,
    GITHUB_TOKEN: TOKEN,
  };
}
const VARS = { LILY_DB_HOST: 'postgres.db.svc' };

/** The inputs that point the action at the local chart repository, helm mirror and helm major. */
async function localInputs(major: HelmMajor): Promise<Record<string, string>> {
  const { inputs } = await deployInputs(env.e2e, major, {});
  const pick = ['repo-url', 'helm-version', 'helm-download-base-url', 'timeout'] as const;
  return Object.fromEntries(pick.map((k) => [k, String(inputs?.[k])]));
}

/** Runs the scenario's workflow with act. */
async function withAct(
  major: HelmMajor,
  scenario: Scenario,
  cacheDir: string,
): Promise<{ act: ActResult; run: Run; jobLog: string }> {
  const dir = await scratchDir();
  const later = { outputsFile: join(dir, 'outputs.json'), printFile: join(dir, 'probe.txt') };
  await writeFile(later.printFile, `${PROBE.join('\n')}\n`);
  const workflow = workflowUnderTest(
    await readFile(join(EXAMPLES, scenario.example), 'utf8'),
    { ...(await localInputs(major)), ...scenario.with },
    later,
  );
  const act = await runWorkflow({
    repository: await workflowRepository(workflow, USER_FILES),
    event: scenario.event,
    payload: scenario.payload,
    ...(scenario.inputs ? { inputs: scenario.inputs } : {}),
    secrets: secretsOf(env.e2e),
    vars: VARS,
    env: { GITHUB_API_URL: api.url },
    path: [dirname((await helmTool(major)).kubectl)],
    cacheDir,
  });
  const probeStep = `Main cat '${later.printFile}'`;
  return {
    act,
    run: {
      outputs: await outputsSeenByNextStep(later.outputsFile),
      maskedLines: maskedLines(stepLog(act.log, 'Main ./')),
      probe: stepLog(act.log, probeStep),
    },
    // What act says and the job's log, but for the step that prints the canaries on purpose.
    jobLog: logWithout(act.log, probeStep) + act.stderr,
  };
}

function maskedLines(lines: string[]): string[] {
  return lines.filter((l) => l.includes('***'));
}

async function scratchDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lily-deploy-act-test-'));
  removeAtExit(dir);
  return dir;
}

/** The inputs the workflow gives the action, its expressions evaluated as a runner would. */
async function evaluatedInputs(
  major: HelmMajor,
  scenario: Scenario,
): Promise<Record<string, string>> {
  const workflow = workflowUnderTest(
    await readFile(join(EXAMPLES, scenario.example), 'utf8'),
    { ...(await localInputs(major)), ...scenario.with },
    { outputsFile: '/dev/null', printFile: '/dev/null' },
  );
  const step = Object.values(workflow.jobs)[0]?.steps.find((s) => s.id === ACTION_STEP_ID);
  const context = {
    secrets: secretsOf(env.e2e),
    vars: VARS,
    inputs: scenario.inputs ?? {},
    github: { token: TOKEN, event: scenario.payload },
  };
  return Object.fromEntries(
    Object.entries(step?.with ?? {}).map(([k, v]) => [
      k,
      String(v).replace(/\$\{\{\s*([\w.-]+)\s*\}\}/g, (_, path: string) =>
        String(
          path.split('.').reduce<unknown>((o, key) => (o as Record<string, unknown>)[key], context),
        ),
      ),
    ]),
  );
}

/** Runs the scenario's action step with our runner emulation. */
async function withEmulation(
  major: HelmMajor,
  scenario: Scenario,
): Promise<{ result: ActionResult; run: Run }> {
  const dir = await scratchDir();
  const workspace = join(dir, 'workspace');
  await writeFiles(workspace, USER_FILES);
  const eventPath = join(dir, 'event.json');
  await writeFile(eventPath, JSON.stringify(scenario.payload));
  // The tool cache and PATH (kubectl) of the other e2e tests; the inputs are the workflow's only.
  const { toolCache, env: localEnv } = await deployInputs(env.e2e, major, {});
  const result = await runAction({
    inputs: await evaluatedInputs(major, scenario),
    ...(toolCache ? { toolCache } : {}),
    workspace,
    env: {
      ...localEnv,
      GITHUB_EVENT_NAME: scenario.event,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_API_URL: api.url,
      GITHUB_REPOSITORY: 'octo/lily-infra',
    },
  });
  // The log as a user reads it: annotations and groups without their ##[error] (##[group] ...) marks,
  // and without the lines that stop and resume commands around text the action did not write:
  // GitHub's runner (and runner.ts) masks their token, act does not.
  const log = result.log
    .split('\n')
    .map((l) => l.replace(/^##\[\w+\]/, ''))
    .filter((l) => l !== '::stop-commands::***' && l !== '::***::');
  // A later step's output goes through the job's masker: the action's masks and the workflow's secrets.
  const masker = result.masker.clone();
  for (const secret of Object.values(secretsOf(env.e2e))) masker.addMask(secret);
  return {
    result,
    run: {
      outputs: result.outputs,
      maskedLines: maskedLines(log),
      probe: PROBE.map((line) => masker.mask(line)),
    },
  };
}

/** The outputs with what differs between two runs by design made equal: the namespace, the directory (and time) of the diagnostics and plan files, and lily-phase (where a crash-looping pod stood at that instant). */
function comparable(outputs: Record<string, string>, namespace?: string): Record<string, string> {
  const same = Object.entries(outputs).map(([k, v]): [string, string] => [
    k,
    k === 'lily-phase'
      ? '<phase>'
      : (namespace ? v.replaceAll(namespace, '<namespace>') : v)
          .replace(
            /^.*\/(lily-deploy-diagnostics-.*)-\d{4}-[\dT-]+Z\.json$/,
            '<RUNNER_TEMP>/$1-<time>.json',
          )
          .replace(/^.*\/(lily-deploy-plan-.*\.json)$/, '<RUNNER_TEMP>/$1'),
  ]);
  return Object.fromEntries(same);
}

/** Main and post steps of the action ran, each with this result. */
function assertStepsRan(act: ActResult, mainSucceeded: boolean): void {
  const action = act.steps.filter((s) => s.step === './');
  assert.deepEqual(
    action.map((s) => [s.stage, s.success]),
    [
      ['Main', mainSucceeded],
      ['Post', true],
    ],
    act.log,
  );
}

/**
 * Both runners hide from a later step what the action registered with
 * ::add-mask:: and the workflow's secrets. runner.ts, like GitHub's runner
 * (its value encoders), also hides their base64, percent- and JSON-encoded
 * forms: every PROBE line. act has no encoders (pkg/runner/logger.go
 * valueMasker: each secret, then each add-mask value, replaced as it is), so
 * what it hides is predicted by the values the action registered under runner.ts.
 */
function assertSameMasks(emulated: { result: ActionResult; run: Run }, byAct: Run): void {
  assert.deepEqual(
    emulated.run.probe,
    PROBE.map((line) => line.replace(/ .*/, ' ***')),
  );
  const registered = emulated.result.transcript
    .filter((l) => l.addMask)
    .map((l) => parseCommand(l.text)?.data ?? '');
  const actMasks = [...Object.values(secretsOf(env.e2e)), ...registered].filter(Boolean);
  assert.deepEqual(
    byAct.probe,
    PROBE.map((line) => actMasks.reduce((text, value) => text.replaceAll(value, '***'), line)),
  );
  assert.deepEqual(emulated.run.maskedLines, byAct.maskedLines);
}

for (const major of [3, 4] as const) {
  describe(`the README's workflows under act and under runner.ts, helm ${major}`, () => {
    let cacheDir: string;
    before(async () => {
      cacheDir = await scratchDir();
    });

    it('deploy on push: main and post ran, the next step got the outputs, the Secret and release are right, no canary in the log; runner.ts agrees', async () => {
      const scenario = (namespace: string): Scenario => ({
        example: 'deploy-on-push.yml',
        event: 'push',
        payload: { ref: 'refs/heads/main' },
        with: { namespace },
      });
      const namespace = uniqueName(`act-push-h${major}`);
      const { act, run, jobLog } = await withAct(major, scenario(namespace), cacheDir);
      assert.equal(act.exitCode, 0, act.log + act.stderr);
      assertStepsRan(act, true);
      assert.equal(run.outputs.revision, '1');
      assert.equal(run.outputs.status, 'deployed');
      assert.equal(run.outputs['chart-version'], '0.1.4');
      assert.equal(run.outputs['secret-name'], 'lily-lily-db');
      assert.match(run.outputs['helm-version'] ?? '', new RegExp(`^v${major}\\.`));
      const secret = await env.kube.json<{ data: Record<string, string> }>([
        'get',
        'secret',
        'lily-lily-db',
        '-n',
        namespace,
      ]);
      assert.equal(
        Buffer.from(secret.data.url ?? '', 'base64').toString(),
        `postgres://lily:${encodeURIComponent(PASSWORD)}@postgres.db.svc:5432/lily?sslmode=require`,
      );
      assert.deepEqual(await env.kube.releaseStatus('lily', namespace), {
        status: 'deployed',
        revision: 1,
        chartVersion: '0.1.4',
      });
      assert.deepEqual(leaksInLog('act job log', jobLog, CANARIES), []);

      const other = uniqueName(`act-push-h${major}`);
      const emulated = await withEmulation(major, scenario(other));
      assert.equal(emulated.result.exitCode, 0, emulated.result.log);
      assert.deepEqual(comparable(emulated.run.outputs, other), comparable(run.outputs, namespace));
      assertSameMasks(emulated, run);
      assert.deepEqual(await leaks(emulated.result, CANARIES), []);
    });

    it('PR preview opened, then closed: deployed with a GitHub deployment, then uninstalled with nothing left; runner.ts agrees', async () => {
      const number = 310 + major;
      const release = `lily-pr-${number}`;
      const scenario = (action: string): Scenario => ({
        example: 'pr-preview.yml',
        event: 'pull_request',
        payload: { action, number, pull_request: { number, head: { sha: 'c'.repeat(40) } } },
      });
      const uninstalled = async () => {
        assert.equal(await env.kube.releaseStatus(release, release), undefined);
        assert.equal(await env.kube.find(['get', 'namespace', release]), undefined);
      };

      const opened = await withAct(major, scenario('opened'), cacheDir);
      assert.equal(opened.act.exitCode, 0, opened.act.log + opened.act.stderr);
      assertStepsRan(opened.act, true);
      assert.equal(opened.run.outputs['preview-release'], release);
      assert.equal(opened.run.outputs['preview-namespace'], release);
      assert.equal((await env.kube.releaseStatus(release, release))?.status, 'deployed');
      const deployment = api.deployments.filter((d) => d.environment === `preview/pr-${number}`);
      assert.deepEqual(deployment.at(-1)?.statuses, ['in_progress', 'success']);

      const closed = await withAct(major, scenario('closed'), cacheDir);
      assert.equal(closed.act.exitCode, 0, closed.act.log + closed.act.stderr);
      assertStepsRan(closed.act, true);
      assert.deepEqual(
        (JSON.parse(closed.run.outputs.deleted ?? '[]') as { kind: string }[]).map((d) => d.kind),
        ['HelmRelease', 'PersistentVolumeClaim', 'Secret', 'Namespace'],
      );
      await uninstalled();
      assert.deepEqual(leaksInLog('act job log', opened.jobLog + closed.jobLog, CANARIES), []);

      // The same release again, through the emulation: the same outputs, the same masks.
      for (const [action, byAct] of [
        ['opened', opened.run],
        ['closed', closed.run],
      ] as const) {
        const emulated = await withEmulation(major, scenario(action));
        assert.equal(emulated.result.exitCode, 0, emulated.result.log);
        assert.deepEqual(emulated.run.outputs, byAct.outputs, action);
        assertSameMasks(emulated, byAct);
        assert.deepEqual(await leaks(emulated.result, CANARIES), []);
      }
      await uninstalled();
    });

    it('plan on a pull request: the plan in the outputs and one sticky comment, changing nothing; runner.ts agrees', async () => {
      const number = 330 + major;
      const namespace = uniqueName(`act-plan-h${major}`);
      const scenario: Scenario = {
        example: 'plan-on-pr.yml',
        event: 'pull_request',
        payload: { action: 'synchronize', number, pull_request: { number } },
        with: { namespace },
      };
      const { act, run, jobLog } = await withAct(major, scenario, cacheDir);
      assert.equal(act.exitCode, 0, act.log + act.stderr);
      assertStepsRan(act, true);
      assert.match(
        run.outputs['plan-digest'] ?? '',
        /^lily-plan-1:chart=0\.1\.5-rc1,revision=none,/,
      );
      assert.ok(Number(run.outputs.changes) > 0, JSON.stringify(run.outputs));
      const comments = () => api.comments.filter((c) => c.issue === number);
      assert.equal(comments().length, 1);
      assert.ok(comments()[0]?.body.includes(run.outputs['plan-digest'] ?? '-'));
      assert.equal(await env.kube.releaseStatus('lily', namespace), undefined);
      assert.deepEqual(leaksInLog('act job log', jobLog, CANARIES), []);

      // The same plan through the emulation: the same outputs and masks, the same comment updated.
      const emulated = await withEmulation(major, scenario);
      assert.equal(emulated.result.exitCode, 0, emulated.result.log);
      assert.deepEqual(comparable(emulated.run.outputs), comparable(run.outputs));
      assertSameMasks(emulated, run);
      assert.deepEqual(await leaks(emulated.result, CANARIES), []);
      assert.equal(comments().length, 1);
    });

    it('a production deploy that fails: failure-reason reaches the failure() step, the job fails; runner.ts agrees', async () => {
      const scenario = (namespace: string): Scenario => ({
        example: 'production.yml',
        event: 'workflow_dispatch',
        payload: { inputs: { 'chart-version': '0.1.4' } },
        inputs: { 'chart-version': '0.1.4' },
        with: { namespace },
      });
      // Production's namespace exists (the workflow does not create it).
      const namespace = uniqueName(`act-prod-h${major}`);
      await env.kube.run(['create', 'namespace', namespace]);
      const { act, run, jobLog } = await withAct(major, scenario(namespace), cacheDir);
      assert.notEqual(act.exitCode, 0);
      assertStepsRan(act, false);
      assert.equal(run.outputs['failure-reason'], 'crash-loop');
      assert.ok(run.outputs.diagnostics?.startsWith(cacheDir), 'diagnostics in RUNNER_TEMP');
      assert.ok(
        act.log.includes(`| failed because crash-loop; see ${run.outputs.diagnostics}`),
        act.log,
      );
      assert.deepEqual(leaksInLog('act job log', jobLog, CANARIES), []);

      const other = uniqueName(`act-prod-h${major}`);
      await env.kube.run(['create', 'namespace', other]);
      const emulated = await withEmulation(major, scenario(other));
      assert.equal(emulated.result.exitCode, 1);
      assert.ok(emulated.run.outputs.diagnostics?.startsWith(emulated.result.runnerTemp));
      assert.deepEqual(comparable(emulated.run.outputs, other), comparable(run.outputs, namespace));
      assertSameMasks(emulated, run);
      assert.deepEqual(await leaks(emulated.result, CANARIES), []);
    });
  });
}
