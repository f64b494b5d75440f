import * as core from '@actions/core';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { basename } from 'node:path';
import { printForeign } from './foreign-text.js';

export interface RunOptions {
  /** Written to the child's stdin: the only way a secret reaches a child. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Aborting sends SIGTERM, which helm handles by recording the release as failed. */
  signal?: AbortSignal;
  /** After an abort, SIGKILL if the child has not exited within this many ms. */
  killAfterMs?: number;
  /** Copy each output line to the log as it arrives. */
  stream?: boolean;
  /** Do not print the command line (for frequent polling commands). */
  quiet?: boolean;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly commandLine: string,
    readonly result: RunResult,
  ) {
    const detail = lastLines(result.stderr || result.stdout, 20);
    const how = result.signal
      ? `was stopped by ${result.signal}`
      : `exited with code ${result.exitCode}`;
    super(`${commandLine} ${how}${detail ? `:\n${detail}` : ''}`);
  }
}

/**
 * Runs a program without a shell. @actions/exec is not used because it cannot
 * stop a running child, and fail-fast must stop `helm upgrade --wait`.
 */
export function runCommand(
  binary: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  if (!options.quiet) core.info(`[command]${commandLine(binary, args)}`);
  return new Promise((resolve, reject) => {
    const child = spawnChild(binary, args, {
      env: options.env,
      signal: options.signal,
      killSignal: 'SIGTERM',
    });
    let stdout = '';
    let stderr = '';
    const echo = lineEcho(options.stream === true);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      echo.out(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      echo.err(chunk);
    });
    child.on('error', (err) => {
      // An abort is reported through 'close' with the signal; anything else is a spawn failure.
      if ((err as NodeJS.ErrnoException).code !== 'ABORT_ERR') reject(err);
    });
    const { signal, killAfterMs } = options;
    let killer: NodeJS.Timeout | undefined;
    if (signal && killAfterMs !== undefined) {
      signal.addEventListener('abort', () => {
        killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      });
    }
    child.on('close', (exitCode, exitSignal) => {
      clearTimeout(killer);
      echo.flush();
      resolve({ exitCode, signal: exitSignal, stdout, stderr });
    });
    child.stdin.on('error', () => {
      // A child that exits without reading its stdin is reported by its exit code.
    });
    child.stdin.end(options.input ?? '');
  });
}

// The action's inputs (the secret ones reach a child only on stdin) and the
// runner's token for its own services: no child needs them, and helm and
// kubectl hand their environment on to credential plugins, post-renderers and
// helm plugins. A GITHUB_TOKEN set on the step is withheld too: the action
// takes its token from the github-token input.
const WITHHELD_FROM_CHILDREN = /^INPUT_|^(ACTIONS_RUNTIME_TOKEN|GITHUB_TOKEN)$/i;

/** The environment a child process gets: `env` without what WITHHELD_FROM_CHILDREN names. */
export function childEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => !WITHHELD_FROM_CHILDREN.test(name)),
  );
}

/**
 * Starts a child process with its three streams piped: the only place the
 * action does, so every child gets childEnvironment() of the environment it
 * is given (default: the action's own).
 */
export function spawnChild(
  binary: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; killSignal?: NodeJS.Signals },
): ChildProcessWithoutNullStreams {
  return spawn(binary, args, {
    ...options,
    env: childEnvironment(options.env ?? process.env),
    stdio: 'pipe',
  });
}

/** Like runCommand, but a non-zero exit throws a CommandError. */
export async function runChecked(
  binary: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const result = await runCommand(binary, args, options);
  if (result.exitCode !== 0) throw new CommandError(commandLine(binary, args), result);
  return result;
}

/**
 * A command-line tool bound to one environment and one kube context: the
 * shared part of the helm and kubectl wrappers, which spell the context flag
 * differently. Callers use the wrappers' typed methods; argv is built only
 * inside them.
 */
export abstract class BoundTool {
  /**
   * `installed`: settles once `binary` is there (a download under way);
   * every command waits for it, and fails with its error.
   */
  constructor(
    readonly binary: string,
    protected readonly env: NodeJS.ProcessEnv,
    private readonly installed?: Promise<unknown>,
  ) {}

  protected async run(args: string[], options: RunOptions = {}): Promise<RunResult> {
    await this.installed;
    return runCommand(this.binary, this.withContext(args), { env: this.env, ...options });
  }

  protected async checked(args: string[], options: RunOptions = {}): Promise<RunResult> {
    await this.installed;
    return runChecked(this.binary, this.withContext(args), { env: this.env, ...options });
  }

  /** The command line as it runs, for error messages. */
  protected commandLine(args: string[]): string {
    return commandLine(this.binary, this.withContext(args));
  }

  protected abstract withContext(args: string[]): string[];
}

export function commandLine(binary: string, args: string[]): string {
  return [basename(binary), ...args.map(quoteForDisplay)].join(' ');
}

function quoteForDisplay(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/** Prints whole lines as they arrive (they are the child's, not ours: see foreign-text.ts), keeping a partial line until it ends. */
function lineEcho(enabled: boolean) {
  const pending = { out: '', err: '' };
  const write = (key: 'out' | 'err', chunk: string) => {
    if (!enabled) return;
    const lines = (pending[key] + chunk).split('\n');
    pending[key] = lines.pop() as string;
    if (lines.length > 0) printForeign(lines.join('\n'));
  };
  return {
    out: (chunk: string) => {
      write('out', chunk);
    },
    err: (chunk: string) => {
      write('err', chunk);
    },
    flush: () => {
      for (const key of ['out', 'err'] as const) {
        if (enabled && pending[key] !== '') printForeign(pending[key]);
        pending[key] = '';
      }
    },
  };
}
