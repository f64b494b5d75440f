// Runs a command to completion and fails loudly (with its output) if it fails.

import { spawn } from 'node:child_process';

export interface ExecOptions {
  cwd?: string;
  /** The whole environment of the command (not merged with process.env). */
  env?: NodeJS.ProcessEnv;
  /** Written to the command's stdin, which is then closed. */
  input?: string | Buffer;
  /** Kill the command (SIGKILL) after this long. Default 120 s. */
  timeoutMs?: number;
  /** Resolve instead of throwing when the exit code is not 0. */
  allowFailure?: boolean;
}

export interface ExecResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class ExecError extends Error {
  constructor(
    message: string,
    readonly result: ExecResult,
  ) {
    super(message);
  }
}

export function exec(
  file: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      const result: ExecResult = {
        exitCode,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      if (exitCode === 0 || options.allowFailure) {
        resolve(result);
        return;
      }
      const why = signal ? `was killed by ${signal}` : `exited with ${exitCode}`;
      reject(
        new ExecError(
          `${file} ${args.join(' ')} ${why}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`,
          result,
        ),
      );
    });
    child.stdin.on('error', () => {}); // the command may exit without reading stdin
    child.stdin.end(options.input ?? '');
  });
}

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
