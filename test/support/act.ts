// Runs a workflow with nektos/act, a real runner that executes our action
// (action.yml, node24 main and post steps) the way GitHub does, in host mode:
// `-P ubuntu-latest=-self-hosted` runs the steps as processes on this machine,
// no Docker. act is built once by scripts/build-act.sh (cached outside the repo).
//
// The workflow runs in a git repository made for it (the action's action.yml
// and dist/, the workflow, the user's files): act's local `actions/checkout`
// copies that repository into the job's workspace without any network, which
// is what makes `uses: ./` find the action.

import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as yaml from 'js-yaml';
import { removeAtExit, REPO_ROOT } from './cache.js';
import { exec } from './exec.js';
import { parseCommand } from './workflow-commands.js';

const BUILD_SCRIPT = join(REPO_ROOT, 'scripts', 'build-act.sh');
/** act finds `node` on its own PATH in host mode: the node 24 of the `node` devDependency, as action.yml asks. */
export const NODE24_BIN = join(REPO_ROOT, 'node_modules', 'node', 'bin');

let built: Promise<string> | undefined;

/** The act binary, built on first use (minutes on a fresh machine, then instant). */
export function actBinary(): Promise<string> {
  built ??= new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const binary = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && binary) resolve(binary);
      else reject(new Error(`${BUILD_SCRIPT} exited with ${code}`));
    });
  });
  return built;
}

/** A workflow as js-yaml reads it (what the tests change of it). */
export interface Workflow {
  jobs: Record<string, { steps: WorkflowStep[] }>;
  [key: string]: unknown;
}

export interface WorkflowStep {
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number | boolean>;
}

/** The id of the action's step in a workflow made by workflowUnderTest(). */
export const ACTION_STEP_ID = 'lily';

/** Files the steps workflowUnderTest() adds after the action write or read. */
export interface LaterSteps {
  /** Written with the action's outputs, as the next step sees them (JSON). */
  outputsFile: string;
  /** Printed by the last step, `Main cat '<printFile>'` in stepLog() (what the job's masker hides of it). */
  printFile: string;
}

/**
 * One of the README's example workflows, changed only where it must be to run
 * here: the action is `uses: ./` with `inputs` added to (or replacing) its
 * `with:`; a checkout that always runs comes first (the README's own checkout
 * may be skipped, e.g. on a closed pull request, but `./` needs the workspace)
 * and verify off (kwok's pods have no Lily API);
 * and two last steps, run whatever happened, write the action's outputs and
 * print a file (see LaterSteps).
 */
export function workflowUnderTest(
  exampleYaml: string,
  inputs: Record<string, string>,
  later: LaterSteps,
): Workflow {
  const workflow = yaml.load(exampleYaml) as Workflow;
  const [job, ...more] = Object.values(workflow.jobs);
  if (!job || more.length > 0) throw new Error('the example workflows have one job each');
  const action = job.steps.find((s) => s.uses?.startsWith('lily-deploy/lily-deploy@'));
  if (!action) throw new Error('the workflow does not use lily-deploy');
  action.uses = './';
  action.id ??= ACTION_STEP_ID;
  // kwok's pods have no Lily API to verify (their IPs are fake), as in deployInputs.
  action.with = { ...action.with, verify: 'false', ...inputs };
  job.steps = [
    { uses: 'actions/checkout@v4' },
    ...job.steps.filter((s) => !s.uses?.startsWith('actions/checkout@')),
    {
      if: 'always()',
      env: { OUTPUTS: `\${{ toJSON(steps.${action.id}.outputs) }}` },
      run: `printf '%s' "$OUTPUTS" > '${later.outputsFile}'`,
    },
    { if: 'always()', run: `cat '${later.printFile}'` },
  ];
  return workflow;
}

/**
 * A git repository holding the action (action.yml, dist/), `workflow` as
 * .github/workflows/workflow.yml and `files` (path → content), committed on
 * main with a GitHub origin, as a user's repository would be.
 */
export async function workflowRepository(
  workflow: Workflow,
  files: Record<string, string>,
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lily-deploy-act-repo-'));
  removeAtExit(dir);
  await cp(join(REPO_ROOT, 'action.yml'), join(dir, 'action.yml'));
  await cp(join(REPO_ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  await writeFiles(dir, { ...files, [WORKFLOW_FILE]: yaml.dump(workflow, { lineWidth: -1 }) });
  const git = (...args: string[]) =>
    exec('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: '1' },
    });
  await git('init', '--quiet', '--initial-branch=main');
  await git('remote', 'add', 'origin', 'https://github.com/octo/lily-infra.git');
  await git('add', '--all');
  await git('commit', '--quiet', '--message', 'lily infra');
  return dir;
}

const WORKFLOW_FILE = join('.github', 'workflows', 'workflow.yml');

/** Writes `files` (path relative to `dir` → content), making their directories. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

export interface ActRunOptions {
  /** From workflowRepository(). */
  repository: string;
  event: 'push' | 'pull_request' | 'workflow_dispatch';
  /** The event's payload (github.event). */
  payload: Record<string, unknown>;
  /** workflow_dispatch inputs (`inputs.<name>`). */
  inputs?: Record<string, string>;
  secrets: Record<string, string>;
  vars?: Record<string, string>;
  /** Variables of the job (act's --env), e.g. GITHUB_API_URL. */
  env?: Record<string, string>;
  /** Directories the job's PATH starts with (after node 24), e.g. kubectl's. */
  path?: string[];
  /**
   * act's cache: the tool cache (RUNNER_TOOL_CACHE) and each job's
   * RUNNER_TEMP and workspace, which act deletes when the job ends. Share one
   * between runs to download helm once.
   */
  cacheDir: string;
}

export interface ActResult {
  exitCode: number | null;
  /** The job's log as act prints it (what a user would read): steps' output masked. */
  log: string;
  /** act's own messages (warnings, errors about the workflow). */
  stderr: string;
  /** Each step act ran, in order: 'Main ./', 'Post ./', 'Main echo …' with its result. */
  steps: { stage: string; step: string; success: boolean }[];
}

/** Runs the repository's workflow with act, offline, on this machine. */
export async function runWorkflow(options: ActRunOptions): Promise<ActResult> {
  const act = await actBinary();
  const work = await mkdtemp(join(tmpdir(), 'lily-deploy-act-'));
  removeAtExit(work);
  const home = join(work, 'home');
  await mkdir(home);
  const eventPath = join(work, 'event.json');
  await writeFile(eventPath, JSON.stringify(options.payload));
  const pairs = (flag: string, values: Record<string, string> = {}) =>
    Object.entries(values).flatMap(([k, v]) => [flag, `${k}=${v}`]);
  const args = [
    options.event,
    '--workflows',
    join(options.repository, WORKFLOW_FILE),
    '--eventpath',
    eventPath,
    '--platform',
    'ubuntu-latest=-self-hosted',
    '--action-cache-path',
    options.cacheDir,
    // Nothing from the network: no action is fetched (the only remote one is
    // the local checkout), no cache server is started.
    '--action-offline-mode',
    '--no-cache-server',
    ...pairs('--secret', options.secrets),
    ...pairs('--var', options.vars),
    ...pairs('--env', options.env),
    ...pairs('--input', options.inputs),
  ];
  const result = await exec(act, args, {
    cwd: options.repository,
    // The jobs inherit act's environment (host mode): only what a runner has.
    env: {
      PATH: [NODE24_BIN, ...(options.path ?? []), process.env.PATH ?? ''].join(':'),
      HOME: home,
      TMPDIR: tmpdir(),
      ACT_DISABLE_VERSION_CHECK: '1',
    },
    allowFailure: true,
    timeoutMs: 600_000,
  });
  return {
    exitCode: result.exitCode,
    log: result.stdout,
    stderr: result.stderr,
    steps: [...result.stdout.matchAll(STEP_RESULT)].map((m) => ({
      stage: m[2] ?? '',
      step: m[3] ?? '',
      success: m[1] === 'Success',
    })),
  };
}

/** act's line for a finished step: `[job]   ✅  Success - Main ./ [12.3s]`. */
const STEP_RESULT = /^\[[^\]]+\] +\S+ +(Success|Failure) - (Main|Post|Pre) (.*) \[[^\]]+\]$/gmu;

/**
 * What one step (e.g. 'Main ./') showed in act's log, line by line as a user
 * reads it: the step's output, and of a workflow command its message only
 * (act prints the command line itself, `❗  ::error::message`); add-mask lines
 * are left out.
 */
export function stepLog(log: string, step: string): string[] {
  const lines = log.split('\n');
  const [start, end] = stepLines(lines, step);
  return lines.slice(start, end).flatMap((line) => {
    const output = /^\[[^\]]+\] {3}\| (.*)$/.exec(line);
    if (output) return [output[1] ?? ''];
    const cmd = parseCommand(line.replace(/^\[[^\]]+\] +\S+ +/u, ''));
    return cmd && cmd.command !== 'add-mask' ? cmd.data.split('\n') : [];
  });
}

/** act's log without the lines of one step. */
export function logWithout(log: string, step: string): string {
  const lines = log.split('\n');
  const [start, end] = stepLines(lines, step);
  return [...lines.slice(0, start), ...lines.slice(end)].join('\n');
}

/** The range of a step's lines in act's log (empty when it did not run). */
function stepLines(lines: string[], step: string): [number, number] {
  const start = lines.findIndex((l) => l.endsWith(`⭐ Run ${step}`)) + 1;
  if (start === 0) return [0, 0];
  const end = lines.findIndex((l, i) => i >= start && STEP_DONE.test(l));
  return [start, end < 0 ? lines.length : end];
}

const STEP_DONE = /^\[[^\]]+\] +\S+ +(Success|Failure) - /u;

/** The outputs the step after the action read (from workflowUnderTest's outputsFile). */
export async function outputsSeenByNextStep(outputsFile: string): Promise<Record<string, string>> {
  return JSON.parse(await readFile(outputsFile, 'utf8')) as Record<string, string>;
}
