// Runs the bundled action (dist/index.js) the way the GitHub runner does:
// node 24 (action.yml's `using: node24`) on <script> in GITHUB_WORKSPACE,
// inputs as INPUT_<NAME>, fresh environment files per step, then the post step
// with the main step's state as STATE_<name> and its GITHUB_ENV / GITHUB_PATH
// applied. stdout and stderr go through the runner's log processing
// (workflow-commands.ts): workflow commands become annotations/groups,
// ::add-mask:: registers secrets, ::stop-commands::<token> makes every line up
// to `::<token>::` plain output, and `log` is the masked text a user would see.
// It emulates only what the action uses (no legacy ::set-output:: and the like,
// no post-if); __tests__/e2e/act.test.ts checks it against a real runner (act). Everything a run leaves is kept under result.root for
// leaks() and deleted when the test process exits (LILY_DEPLOY_KEEP_TEMP=1 keeps it).

import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import * as yaml from 'js-yaml';
import { REPO_ROOT, removeAtExit } from './cache.js';
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
  /** Run action.yml's post step after the main step (default true). */
  post?: boolean;
  /**
   * How a cancellation is delivered. 'runner' (default) as actions/runner does
   * for node actions: SIGINT, after 7.5 s SIGTERM, after 2.5 s more SIGKILL of
   * the process tree. A signal name: that signal, then SIGKILL after 10 s.
   */
  cancel?: 'runner' | NodeJS.Signals;
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
  /** Exit code not 0, or a malformed environment file (which fails the step). */
  failed: boolean;
  /** The masked log with annotations and groups rendered (##[error]..., ##[group]...). */
  log: string;
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
  durationMs: number;
}

export interface ActionResult extends StepResult, RunDirs {
  post?: StepResult;
  /** The job's secret masker after both steps: what a later step's output would show is mask(text). */
  masker: SecretMasker;
}

export interface ActionRun {
  result: Promise<ActionResult>;
  /** Cancels the running step as the runner would (options.cancel). */
  cancel(): void;
  /** Sends `signal` (default SIGTERM) to the running step's node process. */
  kill(signal?: NodeJS.Signals): void;
  /** Resolves with the first masked log line (so far or later) matching; rejects after timeoutMs. */
  waitForLog(match: string | RegExp, timeoutMs?: number): Promise<string>;
}

interface ActionManifest {
  inputs: Record<string, { default?: string | number | boolean | null }>;
  main: string;
  post: string;
}

/** The node of the `node` devDependency: action.yml says node24, whatever node runs the tests. */
export const NODE24 = join(REPO_ROOT, 'node_modules', 'node', 'bin', 'node');

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

let transcripts = 0;

/**
 * What a user saw of a run (the log, the outputs, the job summary), kept in
 * the folder E2E_TRANSCRIPTS names, when it is set: to read or quote a run.
 * Named by the test file, the command, the release and the run's number.
 */
async function keepTranscript(
  inputs: NonNullable<RunActionOptions['inputs']>,
  result: ActionResult,
): Promise<void> {
  const dir = process.env.E2E_TRANSCRIPTS;
  if (!dir) return;
  const file = basename(process.argv.at(-1) ?? 'test', '.test.ts');
  const name = `${file}-${String(inputs.command ?? 'deploy')}-${String(inputs.release ?? '')}-${process.pid}-${++transcripts}`;
  const outputs = Object.entries(result.outputs).map(([k, v]) => `${k}=${v}`);
  await writeFile(
    join(dir, `${name.replaceAll(/[^\w.-]/g, '_')}.txt`),
    [result.log, '--- outputs', ...outputs, '--- summary', result.summary].join('\n'),
  );
}

/** Runs main and post steps; resolves when both are done. */
export function runAction(options: RunActionOptions = {}): Promise<ActionResult> {
  return startAction(options).result;
}

/** Like runAction, with a handle to watch the log and cancel or signal the running step. */
export function startAction(options: RunActionOptions = {}): ActionRun {
  const events = new EventEmitter();
  const logLines: string[] = [];
  let step: StepName | 'setup' | 'done' = 'setup';
  let current: RunningStep | undefined;
  // cancel() may come while the run is being set up, before the main step exists.
  const cancelled = { requested: false };

  const cancel = () => {
    cancelled.requested = true;
    if (step === 'main') current?.cancel();
  };

  const onLine = (line: string, name: StepName) => {
    logLines.push(line);
    events.emit('line', line);
    options.onLog?.(line, name);
  };

  const result = (async (): Promise<ActionResult> => {
    const manifest = await readManifest();
    const dirs = await makeRunDirs(options);
    const inputEnv = inputsEnv(options.inputs ?? {}, manifest);
    const baseEnv = buildBaseEnv(options, dirs);
    const masker = new SecretMasker();

    step = 'main';
    current = new RunningStep(
      'main',
      join(REPO_ROOT, manifest.main),
      { ...baseEnv, ...inputEnv },
      dirs,
      masker,
      options,
      onLine,
    );
    if (cancelled.requested) current.cancel();
    const main = await current.done;

    let post: StepResult | undefined;
    // The post step runs whatever the main step did: action.yml has no post-if (default always()).
    if (options.post !== false) {
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
      const postScript = join(REPO_ROOT, manifest.post);
      current = new RunningStep('post', postScript, postEnv, dirs, masker, options, onLine);
      post = await current.done;
    }
    step = 'done';
    current = undefined;

    const actionResult: ActionResult = { ...main, ...dirs, masker };
    if (post) actionResult.post = post;
    await keepTranscript(options.inputs ?? {}, actionResult);
    return actionResult;
  })();

  return {
    result,
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
          reject(
            new Error(
              `the action finished without a log line matching ${String(match)}; its log:\n${logLines.join('\n')}`,
            ),
          );
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

async function readManifest(): Promise<ActionManifest> {
  const doc = yaml.load(await readFile(join(REPO_ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string | number | boolean | null } | null>;
    runs: { main: string; post: string };
  };
  const inputs: ActionManifest['inputs'] = {};
  for (const [name, spec] of Object.entries(doc.inputs)) inputs[name] = spec ?? {};
  return { inputs, main: doc.runs.main, post: doc.runs.post };
}

/** The runner's name for an input's variable: INPUT_ + upper-cased name, spaces as _. */
function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

function inputsEnv(
  inputs: NonNullable<RunActionOptions['inputs']>,
  manifest: ActionManifest,
): Record<string, string> {
  const inputEnv: Record<string, string> = {};
  // Defaults first, as the runner fills them in; expressions (${{ github.token }}) are not evaluated.
  for (const [name, spec] of Object.entries(manifest.inputs)) {
    const given = spec.default;
    if (given === undefined || given === null) continue;
    const value = String(given);
    if (value.includes('${{')) continue;
    inputEnv[inputVariable(name)] = value;
  }
  for (const [name, value] of Object.entries(inputs)) {
    if (value === undefined) continue;
    // The runner only warns; here an undeclared input is a mistake in the test.
    if (!(name in manifest.inputs)) throw new Error(`action.yml declares no input '${name}'`);
    inputEnv[inputVariable(name)] = String(value);
  }
  return inputEnv;
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

/** Hard limit for each step: the step's process group is then SIGKILLed. */
const STEP_TIMEOUT_MS = 300_000;

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
  /** The token of the ::stop-commands:: in force, if any. */
  private stopToken: string | undefined;
  /** A command the runner refuses, which fails the step. */
  private refusedCommand = false;

  constructor(
    readonly name: StepName,
    private readonly script: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly dirs: RunDirs,
    private readonly masker: SecretMasker,
    private readonly options: RunActionOptions,
    private readonly onLine: (line: string, step: StepName) => void,
  ) {
    this.done = this.run();
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
      this.cancelTimers.push(setTimeout(() => this.killGroup(), 10_000));
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
    const child = spawn(NODE24, [this.script], {
      cwd: this.dirs.workspace,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so leftovers can be found and killed
    });
    this.child = child;
    if (child.pid !== undefined) liveGroups.add(child.pid);
    if (this.cancelled) this.deliverCancel();

    const closed = Promise.all([
      this.readLines(child.stdout, 'stdout'),
      this.readLines(child.stderr, 'stderr'),
    ]);

    const timer = setTimeout(() => this.killGroup(), STEP_TIMEOUT_MS);

    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', resolve);
    });
    this.exited = true;
    clearTimeout(timer);
    for (const t of this.cancelTimers) clearTimeout(t);
    const durationMs = Date.now() - started;

    // Leftover children keep the group alive (and maybe our pipes open): after
    // a grace period they are killed and the pipes closed.
    const grace = new Promise<'timeout'>((r) =>
      setTimeout(() => {
        r('timeout');
      }, 2_000).unref(),
    );
    const stdioHeldOpen =
      (await Promise.race([closed.then(() => 'closed' as const), grace])) === 'timeout';
    this.killGroup();
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
      failed: code !== 0 || fileCommandErrors.length > 0 || this.refusedCommand,
      log: this.log.join('\n') + (this.log.length ? '\n' : ''),
      transcript: this.transcript,
      outputs: output.values,
      env: envFile.values,
      path,
      summary,
      state: state.values,
      annotations: this.annotations,
      durationMs,
    };
  }

  /** Splits a stream into lines as .NET's ReadLine does (\n, \r\n or a lone \r). */
  private readLines(stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr'): Promise<void> {
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

  /**
   * `::stop-commands::<token>`, as ActionCommandManager does it: an empty
   * token, `pause-logging` or a command's name is refused (the step fails);
   * a token longer than 6 characters is masked from then on, and the line is
   * output (with it masked).
   */
  private stopCommands(line: string, token: string): void {
    if (!token || token.toLowerCase() === 'pause-logging' || parseCommand(`::${token}::`)) {
      this.annotate(
        'error',
        `runner.ts: the runner refuses the stop-commands token '${token}'`,
        {},
      );
      this.refusedCommand = true;
      return;
    }
    if (token.length > 6) this.masker.addValue(token);
    this.write(this.masker.mask(line));
    this.debugLine(`Paused processing commands until '##[${this.masker.mask(token)}]' is received`);
    this.stopToken = token;
  }

  /** The runner's own debug output (not an annotation), shown with step debug on. */
  private debugLine(text: string): void {
    if (this.options.debug) this.write(`##[debug]${text}`);
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
    const resume = this.stopToken;
    const cmd = text.includes('::')
      ? parseCommand(text, resume === undefined ? undefined : new Set([resume.toLowerCase()]))
      : undefined;
    // Commands stopped: every line is output, up to the one that names the token.
    if (resume !== undefined) {
      this.transcript.push({ stream, text, addMask: false });
      this.write(this.masker.mask(text));
      if (cmd?.command === resume.toLowerCase()) {
        this.stopToken = undefined;
        this.debugLine('Resume processing commands');
      }
      return;
    }
    this.transcript.push({ stream, text, addMask: cmd?.command === 'add-mask' });
    if (!cmd) {
      this.write(this.masker.mask(text));
      return;
    }
    if (cmd.command === 'stop-commands') {
      this.stopCommands(text, cmd.data);
      return;
    }
    // With step debug on, the runner echoes every command but add-mask.
    if (this.options.debug && cmd.command !== 'add-mask') this.write(this.masker.mask(text));
    switch (cmd.command) {
      case 'add-mask':
        if (!cmd.data.trim()) {
          this.annotate(
            'warning',
            "Can't add secret mask for empty string in ##[add-mask] command.",
            {},
          );
        } else {
          if (this.options.debug) this.write('::add-mask::***');
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
      default:
        // The action writes no other command (set-output, echo ...: not emulated).
        this.annotate('error', `runner.ts does not emulate ::${cmd.command}::`, {});
    }
  }
}
