// Runs the bundled action (dist/index.js) the way the GitHub runner does:
// node <script> in GITHUB_WORKSPACE, inputs as INPUT_<NAME>, fresh environment
// files per step, then the post step with the main step's state as STATE_<name>
// and its GITHUB_ENV / GITHUB_PATH applied. stdout and stderr go through the
// runner's log processing (workflow-commands.ts): workflow commands become
// annotations/groups, ::add-mask:: registers secrets, and `log` is the masked
// text a user would see. Everything a run leaves is kept under result.root for
// leaks() and deleted when the test process exits (LILY_DEPLOY_KEEP_TEMP=1 keeps it).

import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import * as yaml from 'js-yaml';
import { forgetAtExit, REPO_ROOT, removeAtExit } from './cache.js';
import {
  parseCommand,
  parseEnvFile,
  parsePathFile,
  SecretMasker,
  type Annotation,
} from './workflow-commands.js';

export { leaks, scanForLeaks, type Leak } from './leaks.js';
export type { Annotation } from './workflow-commands.js';

export interface RunActionOptions {
  /** Inputs by their action.yml name ('chart-version'); undefined = not given. */
  inputs?: Record<string, string | number | boolean | undefined>;
  /** Environment over the cleaned base environment; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** The node binary (default process.execPath). */
  node?: string;
  /** Where action.yml is (default the repository root). */
  actionDir?: string;
  /** The main script, absolute or relative to actionDir (default action.yml runs.main, else dist/index.js). */
  main?: string;
  /**
   * Run the post step: true (default) runs action.yml's runs.post (or the
   * main script when there is no action.yml, or when `main` was given), under
   * its post-if; a string names the post script; false skips it.
   */
  post?: boolean | string;
  /** Hard limit for each step: the step's process group is SIGKILLed (default 300 s). */
  timeoutMs?: number;
  /** Aborting it cancels the running step like the runner (see `cancel`). The post step still runs. */
  signal?: AbortSignal;
  /**
   * How a cancellation is delivered. 'runner' (default) as actions/runner does
   * for node actions: SIGINT, after 7.5 s SIGTERM, after 2.5 s more SIGKILL of
   * the process tree. A signal name: that signal, then SIGKILL after cancelGraceMs.
   */
  cancel?: 'runner' | NodeJS.Signals;
  cancelGraceMs?: number;
  /** Step debug logging: RUNNER_DEBUG=1, ::debug:: lines and echoed commands shown in the log. */
  debug?: boolean;
  /** RUNNER_TOOL_CACHE to use (share one between runs to test cache hits); default a fresh dir. */
  toolCache?: string;
  /** GITHUB_WORKSPACE (and cwd); default a fresh dir. */
  workspace?: string;
  /** Called for every line the log gets (masked), as it arrives. */
  onLog?: (line: string, step: StepName) => void;
}

export type StepName = 'main' | 'post';

export interface TranscriptLine {
  stream: 'stdout' | 'stderr';
  /** The raw line, as the action wrote it. */
  text: string;
  /** The add-mask lines are the ones the runner swallows. */
  addMask: boolean;
}

export interface StepResult {
  step: StepName;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Exit code not 0, or a workflow/file command the runner rejects (which fails the step). */
  failed: boolean;
  timedOut: boolean;
  cancelled: boolean;
  /** The masked log with annotations and groups rendered (##[error]..., ##[group]...). */
  log: string;
  rawStdout: string;
  stderr: string;
  /** stdout and stderr lines, raw, in arrival order. */
  transcript: TranscriptLine[];
  outputs: Record<string, string>;
  /** What the step wrote to GITHUB_ENV. */
  env: Record<string, string>;
  /** What the step wrote to GITHUB_PATH, in the order written. */
  path: string[];
  /** The GITHUB_STEP_SUMMARY file as written (unmasked). */
  summary: string;
  state: Record<string, string>;
  annotations: Annotation[];
  /** Errors the runner reports for malformed environment files. */
  fileCommandErrors: string[];
  /** Processes of the step's process group still alive after node exited (then killed). */
  orphans: boolean;
  /** stdout/stderr were still held open (by a leftover child) 2 s after node exited. */
  stdioHeldOpen: boolean;
  durationMs: number;
}

export interface ActionResult extends StepResult, RunDirs {
  post?: StepResult;
  /** Why the post step did not run, when it did not. */
  postSkipped?: string;
  /** Inputs given that action.yml does not declare (the runner warns about them). */
  unexpectedInputs: string[];
  /** Every value registered with ::add-mask:: over both steps. */
  masks: string[];
}

export interface ActionRun {
  result: Promise<ActionResult>;
  /** The step running now ('setup' before main, 'done' after). */
  readonly step: StepName | 'setup' | 'done';
  /** The pid of the running step's node process. */
  readonly pid: number | undefined;
  /** Cancels the running step as the runner would (options.cancel). */
  cancel(): void;
  /** Sends `signal` (default SIGTERM) to the running step's node process. */
  kill(signal?: NodeJS.Signals): void;
  /** Resolves with the first masked log line (so far or later) matching; rejects after timeoutMs. */
  waitForLog(match: string | RegExp, timeoutMs?: number): Promise<string>;
}

interface ActionManifest {
  inputs: Record<string, { default?: string | number | boolean | null }>;
  main?: string;
  post?: string;
  postIf?: string;
}

/** Process groups of steps still running: killed if the test process exits first. */
const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/** Runs main and post steps; resolves when both are done. */
export function runAction(options: RunActionOptions = {}): Promise<ActionResult> {
  return startAction(options).result;
}

/** Like runAction, with a handle to watch the log and cancel or signal the running step. */
export function startAction(options: RunActionOptions = {}): ActionRun {
  const events = new EventEmitter();
  const logLines: string[] = [];
  let step: ActionRun['step'] = 'setup';
  let current: RunningStep | undefined;
  let cancelRequested = false;

  const cancel = () => {
    cancelRequested = true;
    if (step === 'main') current?.cancel();
  };
  options.signal?.addEventListener('abort', cancel, { once: true });
  if (options.signal?.aborted) cancelRequested = true;

  const onLine = (line: string, name: StepName) => {
    logLines.push(line);
    events.emit('line', line);
    options.onLog?.(line, name);
  };

  const result = (async (): Promise<ActionResult> => {
    const actionDir = options.actionDir ?? REPO_ROOT;
    const manifest = await readManifest(actionDir);
    const dirs = await makeRunDirs(options);
    const { inputEnv, unexpected } = inputsEnv(options.inputs ?? {}, manifest);
    const baseEnv = buildBaseEnv(options, dirs);
    const masker = new SecretMasker();

    const mainScript = resolveScript(actionDir, options.main ?? manifest?.main ?? 'dist/index.js');
    const annotationsBefore: Annotation[] = [];
    if (manifest && unexpected.length) {
      const valid = Object.keys(manifest.inputs)
        .map((n) => `'${n}'`)
        .join(', ');
      annotationsBefore.push({
        kind: 'warning',
        message: `Unexpected input(s) '${unexpected.join("', '")}', valid inputs are [${valid}]`,
        properties: {},
      });
    }

    step = 'main';
    current = new RunningStep(
      'main',
      mainScript,
      { ...baseEnv, ...inputEnv },
      dirs,
      masker,
      options,
      onLine,
    );
    if (cancelRequested) current.cancel();
    const main = await current.done;
    main.annotations.unshift(...annotationsBefore);

    let post: StepResult | undefined;
    let postSkipped: string | undefined;
    const postScript =
      options.post === false
        ? undefined
        : typeof options.post === 'string'
          ? resolveScript(actionDir, options.post)
          : options.main !== undefined || !manifest
            ? mainScript
            : manifest.post && resolveScript(actionDir, manifest.post);
    const postIf = typeof options.post === 'string' ? 'always()' : (manifest?.postIf ?? 'always()');
    if (!postScript) {
      postSkipped =
        options.post === false ? 'options.post is false' : 'action.yml has no runs.post';
    } else if (!postCondition(postIf, main)) {
      postSkipped = `post-if: ${postIf} is false`;
    } else {
      step = 'post';
      const postEnv: NodeJS.ProcessEnv = { ...baseEnv };
      // GITHUB_ENV of the main step, under the step's own env (which wins, as in the runner).
      for (const [k, v] of Object.entries(main.env))
        if (!(k in (options.env ?? {}))) postEnv[k] = v;
      if (main.path.length) {
        postEnv.PATH = [...main.path]
          .reverse()
          .concat(postEnv.PATH ? [postEnv.PATH] : [])
          .join(delimiter);
      }
      Object.assign(postEnv, inputEnv);
      for (const [k, v] of Object.entries(main.state)) postEnv[`STATE_${k}`] = v;
      const postOptions = { ...options };
      current = new RunningStep('post', postScript, postEnv, dirs, masker, postOptions, onLine);
      post = await current.done;
    }
    step = 'done';
    current = undefined;

    const actionResult: ActionResult = {
      ...main,
      unexpectedInputs: unexpected,
      masks: [...masker.registered],
      ...dirs,
    };
    if (post) actionResult.post = post;
    if (postSkipped) actionResult.postSkipped = postSkipped;
    return actionResult;
  })();

  return {
    result,
    get step() {
      return step;
    },
    get pid() {
      return current?.pid;
    },
    cancel,
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      current?.signal(signal);
    },
    waitForLog(match: string | RegExp, timeoutMs = 60_000): Promise<string> {
      const test = (line: string) =>
        typeof match === 'string' ? line.includes(match) : match.test(line);
      const seen = logLines.find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const onLog = (line: string) => {
          if (!test(line)) return;
          cleanup();
          resolve(line);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no log line matching ${String(match)} within ${timeoutMs} ms`));
        }, timeoutMs);
        const onEnd = () => {
          cleanup();
          reject(new Error(`the action finished without a log line matching ${String(match)}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          events.off('line', onLog);
        };
        events.on('line', onLog);
        result.then(onEnd, onEnd);
      });
    },
  };
}

/** PATH with `dirs` first, then the test process's PATH (e.g. pathWith(dirname(tool.kubectl))). */
export function pathWith(...dirs: string[]): string {
  return [...dirs, process.env.PATH ?? ''].filter(Boolean).join(delimiter);
}

/** Deletes the run's directory now (otherwise done at process exit). */
export function removeRun(result: ActionResult): void {
  rmSync(result.root, { recursive: true, force: true });
  forgetAtExit(result.root);
}

function postCondition(postIf: string, main: StepResult): boolean {
  const condition = postIf.replace(/^\$\{\{\s*|\s*\}\}$/g, '').trim();
  if (condition === 'success()') return !main.failed && !main.cancelled;
  if (condition === 'failure()') return main.failed && !main.cancelled;
  if (condition === 'cancelled()') return main.cancelled;
  return true; // always(), and anything this emulation does not evaluate
}

function resolveScript(actionDir: string, script: string): string {
  return isAbsolute(script) ? script : join(actionDir, script);
}

async function readManifest(actionDir: string): Promise<ActionManifest | undefined> {
  const file = ['action.yml', 'action.yaml']
    .map((f) => join(actionDir, f))
    .find((f) => existsSync(f));
  if (!file) return undefined;
  const doc = yaml.load(await readFile(file, 'utf8')) as {
    inputs?: Record<string, { default?: string | number | boolean | null } | null>;
    runs?: { main?: string; post?: string; 'post-if'?: string };
  };
  const manifest: ActionManifest = { inputs: {} };
  for (const [name, spec] of Object.entries(doc.inputs ?? {})) manifest.inputs[name] = spec ?? {};
  if (doc.runs?.main) manifest.main = doc.runs.main;
  if (doc.runs?.post) manifest.post = doc.runs.post;
  if (doc.runs?.['post-if']) manifest.postIf = doc.runs['post-if'];
  return manifest;
}

/** The runner's name for an input's variable: INPUT_ + upper-cased name, spaces as _. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

function inputsEnv(
  inputs: NonNullable<RunActionOptions['inputs']>,
  manifest: ActionManifest | undefined,
): { inputEnv: Record<string, string>; unexpected: string[] } {
  const inputEnv: Record<string, string> = {};
  // Defaults first, as the runner fills them in; expressions (${{ github.token }}) are not evaluated.
  for (const [name, spec] of Object.entries(manifest?.inputs ?? {})) {
    const given = spec.default;
    if (given === undefined || given === null) continue;
    const value = String(given);
    if (value.includes('${{')) continue;
    inputEnv[inputVariable(name)] = value;
  }
  const unexpected: string[] = [];
  for (const [name, value] of Object.entries(inputs)) {
    if (value === undefined) continue;
    if (manifest && !(name in manifest.inputs)) unexpected.push(name);
    inputEnv[inputVariable(name)] = String(value);
  }
  return { inputEnv, unexpected };
}

interface RunDirs {
  /** The run's directory, holding all of the below unless given in options. */
  root: string;
  runnerTemp: string;
  toolCache: string;
  workspace: string;
  /** HOME of the action (fresh, so helm/kubectl defaults land here). */
  home: string;
  /** TMPDIR of the action. */
  tmp: string;
}

async function makeRunDirs(options: RunActionOptions): Promise<RunDirs> {
  const root = await mkdtemp(join(tmpdir(), 'lily-deploy-run-'));
  removeAtExit(root);
  const dirs: RunDirs = {
    root,
    runnerTemp: join(root, 'runner-temp'),
    toolCache: options.toolCache ?? join(root, 'tool-cache'),
    workspace: options.workspace ?? join(root, 'workspace'),
    home: join(root, 'home'),
    tmp: join(root, 'tmp'),
  };
  for (const dir of [dirs.runnerTemp, dirs.toolCache, dirs.workspace, dirs.home, dirs.tmp]) {
    await mkdir(dir, { recursive: true });
  }
  await mkdir(join(dirs.runnerTemp, '_runner_file_commands'), { recursive: true });
  await mkdir(join(dirs.runnerTemp, '_github_workflow'), { recursive: true });
  await writeFile(join(dirs.runnerTemp, '_github_workflow', 'event.json'), '{}\n');
  return dirs;
}

/** Variables of the test process that must not reach the action. */
const STRIPPED =
  /^(INPUT_|STATE_|GITHUB_|RUNNER_|ACTIONS_|HELM_|XDG_)|^(KUBECONFIG|NODE_OPTIONS|CI|HOME|TMPDIR)$/;

function buildBaseEnv(options: RunActionOptions, dirs: RunDirs): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!STRIPPED.test(k)) env[k] = v;
  Object.assign(env, {
    CI: 'true',
    HOME: dirs.home,
    TMPDIR: dirs.tmp,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: dirs.workspace,
    GITHUB_ACTION: '__lily-deploy',
    GITHUB_ACTION_REPOSITORY: '',
    GITHUB_REPOSITORY: 'test-owner/test-repo',
    GITHUB_REPOSITORY_OWNER: 'test-owner',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_NUMBER: '1',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'test',
    GITHUB_WORKFLOW: 'test',
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_EVENT_PATH: join(dirs.runnerTemp, '_github_workflow', 'event.json'),
    GITHUB_SHA: '0'.repeat(40),
    GITHUB_REF: 'refs/heads/main',
    GITHUB_ACTOR: 'test-actor',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: process.arch === 'arm64' ? 'ARM64' : 'X64',
    RUNNER_NAME: 'lily-deploy-test-runner',
    RUNNER_TEMP: dirs.runnerTemp,
    RUNNER_TOOL_CACHE: dirs.toolCache,
  });
  if (options.debug) env.RUNNER_DEBUG = '1';
  for (const [k, v] of Object.entries(options.env ?? {})) env[k] = v;
  // undefined in options.env removes a variable.
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
}

const FILE_COMMANDS = {
  GITHUB_OUTPUT: 'set_output_',
  GITHUB_ENV: 'set_env_',
  GITHUB_PATH: 'add_path_',
  GITHUB_STATE: 'save_state_',
  GITHUB_STEP_SUMMARY: 'step_summary_',
} as const;

const DEPRECATED = (cmd: string) =>
  `The \`${cmd}\` command is deprecated and will be disabled soon. Please upgrade to using Environment Files.`;
const DISABLED = (cmd: string) =>
  `The \`${cmd}\` command is disabled. Please upgrade to using Environment Files or opt into unsecure command execution by setting the \`ACTIONS_ALLOW_UNSECURE_COMMANDS\` environment variable to \`true\`.`;

/** One step: a node process and the runner's processing of its output. */
class RunningStep {
  readonly done: Promise<StepResult>;
  private child: ChildProcess | undefined;
  private cancelled = false;
  private cancelTimers: NodeJS.Timeout[] = [];
  private exited = false;

  // log processing state
  private readonly log: string[] = [];
  private readonly transcript: TranscriptLine[] = [];
  private readonly annotations: Annotation[] = [];
  private readonly legacyOutputs: Record<string, string> = {};
  private readonly legacyState: Record<string, string> = {};
  private commandFailed = false;
  private stopToken: string | undefined;
  private echo: boolean;

  constructor(
    readonly name: StepName,
    private readonly script: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly dirs: RunDirs,
    private readonly masker: SecretMasker,
    private readonly options: RunActionOptions,
    private readonly onLine: (line: string, step: StepName) => void,
  ) {
    this.echo = !!options.debug;
    this.done = this.run();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child && !this.exited) this.child.kill(signal);
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    if (!this.child) return; // run() checks the flag once the process exists
    this.deliverCancel();
  }

  private deliverCancel(): void {
    const mode = this.options.cancel ?? 'runner';
    if (mode === 'runner') {
      this.signal('SIGINT');
      this.cancelTimers.push(
        setTimeout(() => {
          this.signal('SIGTERM');
        }, 7_500),
      );
      this.cancelTimers.push(setTimeout(() => this.killGroup(), 10_000));
    } else {
      this.signal(mode);
      this.cancelTimers.push(
        setTimeout(() => this.killGroup(), this.options.cancelGraceMs ?? 10_000),
      );
    }
  }

  private killGroup(): boolean {
    const pgid = this.child?.pid;
    if (pgid === undefined) return false;
    try {
      process.kill(-pgid, 'SIGKILL');
      return true;
    } catch {
      return false;
    }
  }

  private async run(): Promise<StepResult> {
    const suffix = randomUUID();
    const files: Record<keyof typeof FILE_COMMANDS, string> = { ...FILE_COMMANDS };
    for (const [variable, prefix] of Object.entries(FILE_COMMANDS)) {
      const file = join(this.dirs.runnerTemp, '_runner_file_commands', prefix + suffix);
      await writeFile(file, '');
      files[variable as keyof typeof FILE_COMMANDS] = file;
    }
    const env = { ...this.env, ...files };

    const started = Date.now();
    const child = spawn(this.options.node ?? process.execPath, [this.script], {
      cwd: this.dirs.workspace,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so leftovers can be found and killed
    });
    this.child = child;
    if (child.pid !== undefined) liveGroups.add(child.pid);
    if (this.cancelled) this.deliverCancel();

    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const closed = Promise.all([
      this.readLines(child.stdout, 'stdout', stdout),
      this.readLines(child.stderr, 'stderr', stderr),
    ]);

    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.killGroup();
    }, this.options.timeoutMs ?? 300_000);

    const { code, signal } = await new Promise<{
      code: number | null;
      signal: NodeJS.Signals | null;
    }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c, s) => {
        resolve({ code: c, signal: s });
      });
    });
    this.exited = true;
    clearTimeout(timer);
    for (const t of this.cancelTimers) clearTimeout(t);
    const durationMs = Date.now() - started;

    // Leftover children keep the group alive (and maybe our pipes open).
    let stdioHeldOpen = false;
    const grace = new Promise<'timeout'>((r) =>
      setTimeout(() => {
        r('timeout');
      }, 2_000).unref(),
    );
    if ((await Promise.race([closed.then(() => 'closed' as const), grace])) === 'timeout') {
      stdioHeldOpen = true;
    }
    const orphans = this.killGroup();
    if (child.pid !== undefined) liveGroups.delete(child.pid);
    if (stdioHeldOpen) {
      child.stdout.destroy();
      child.stderr.destroy();
    }
    await Promise.race([closed, new Promise((r) => setTimeout(r, 1_000).unref())]);

    const output = parseEnvFile(await readFile(files.GITHUB_OUTPUT, 'utf8'));
    const envFile = parseEnvFile(await readFile(files.GITHUB_ENV, 'utf8'));
    const state = parseEnvFile(await readFile(files.GITHUB_STATE, 'utf8'));
    const path = parsePathFile(await readFile(files.GITHUB_PATH, 'utf8'));
    const summary = await readFile(files.GITHUB_STEP_SUMMARY, 'utf8');
    const fileCommandErrors = [...output.errors, ...envFile.errors, ...state.errors];
    for (const error of fileCommandErrors) this.annotate('error', error, {});

    return {
      step: this.name,
      exitCode: code,
      signal,
      failed: code !== 0 || this.commandFailed || fileCommandErrors.length > 0,
      timedOut,
      cancelled: this.cancelled,
      log: this.log.join('\n') + (this.log.length ? '\n' : ''),
      rawStdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
      transcript: this.transcript,
      outputs: { ...this.legacyOutputs, ...output.values },
      env: envFile.values,
      path,
      summary,
      state: { ...this.legacyState, ...state.values },
      annotations: this.annotations,
      fileCommandErrors,
      orphans,
      stdioHeldOpen,
      durationMs,
    };
  }

  /** Splits a stream into lines as .NET's ReadLine does (\n, \r\n or a lone \r). */
  private readLines(
    stream: NodeJS.ReadableStream,
    name: 'stdout' | 'stderr',
    raw: Buffer[],
  ): Promise<void> {
    const decoder = new StringDecoder('utf8');
    let pending = '';
    const flush = (final: boolean) => {
      for (;;) {
        const m = /\r\n|\r|\n/.exec(pending);
        if (!m) break;
        // A \r at the very end may be the first half of \r\n.
        if (m[0] === '\r' && m.index === pending.length - 1 && !final) break;
        this.processLine(name, pending.slice(0, m.index));
        pending = pending.slice(m.index + m[0].length);
      }
      if (final && pending) {
        this.processLine(name, pending);
        pending = '';
      }
    };
    return new Promise((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        raw.push(chunk);
        pending += decoder.write(chunk);
        flush(false);
      });
      const end = () => {
        pending += decoder.end();
        flush(true);
        resolve();
      };
      stream.once('end', end);
      stream.once('close', () => {
        resolve();
      });
      stream.once('error', () => {
        resolve();
      });
    });
  }

  private write(line: string): void {
    this.log.push(line);
    this.onLine(line, this.name);
  }

  private annotate(
    kind: Annotation['kind'],
    message: string,
    properties: Record<string, string>,
  ): void {
    const masked = this.masker.mask(message);
    const props: Record<string, string> = {};
    for (const [k, v] of Object.entries(properties)) props[k] = this.masker.mask(v);
    this.annotations.push({ kind, message: masked, properties: props });
    if (kind !== 'debug' || this.options.debug) {
      const lines = masked.split('\n');
      this.write(`##[${kind}]${lines[0] ?? ''}`);
      for (const more of lines.slice(1)) this.write(more);
    }
  }

  private processLine(stream: 'stdout' | 'stderr', text: string): void {
    const extra = this.stopToken ? new Set([this.stopToken]) : undefined;
    const cmd = text.includes('::') ? parseCommand(text, extra) : undefined;
    this.transcript.push({ stream, text, addMask: !this.stopToken && cmd?.command === 'add-mask' });

    if (this.stopToken) {
      if (cmd && cmd.command === this.stopToken.toLowerCase()) {
        this.write(this.masker.mask(text));
        this.stopToken = undefined;
      } else {
        this.write(this.masker.mask(text));
      }
      return;
    }
    if (!cmd) {
      this.write(this.masker.mask(text));
      return;
    }
    if (this.echo && cmd.command !== 'add-mask') this.write(this.masker.mask(text));
    switch (cmd.command) {
      case 'add-mask':
        if (!cmd.data.trim()) {
          this.annotate(
            'warning',
            "Can't add secret mask for empty string in ##[add-mask] command.",
            {},
          );
        } else {
          if (this.echo) this.write('::add-mask::***');
          this.masker.addMask(cmd.data);
        }
        return;
      case 'error':
      case 'warning':
      case 'notice':
      case 'debug':
        this.annotate(cmd.command, cmd.data, cmd.properties);
        return;
      case 'group':
        this.write(`##[group]${this.masker.mask(cmd.data)}`);
        return;
      case 'endgroup':
        this.write('##[endgroup]');
        return;
      case 'echo':
        if (/^on$/i.test(cmd.data)) this.echo = true;
        else if (/^off$/i.test(cmd.data)) this.echo = !!this.options.debug;
        return;
      case 'stop-commands':
        this.write(this.masker.mask(text));
        this.stopToken = cmd.data;
        this.masker.addValue(cmd.data);
        return;
      case 'set-output':
      case 'save-state': {
        const name = cmd.properties.name;
        this.annotate('warning', DEPRECATED(cmd.command), {});
        if (!name) {
          this.annotate(
            'error',
            `Required field 'name' is missing in ##[${cmd.command}] command.`,
            {},
          );
          this.commandFailed = true;
        } else if (cmd.command === 'set-output') this.legacyOutputs[name] = cmd.data;
        else this.legacyState[name] = cmd.data;
        return;
      }
      case 'add-path':
      case 'set-env':
        this.annotate('error', DISABLED(cmd.command), {});
        this.commandFailed = true;
        return;
      default:
        return; // add-matcher, remove-matcher: no effect here
    }
  }
}
