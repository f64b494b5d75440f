// What every end-to-end test needs: the file's cluster (its lane's, see
// cluster-lanes.ts), the helm mirror, the fixture chart repository, a tool
// cache per helm major (so helm is downloaded once per file), and kubectl.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before } from 'node:test';
import { removeAtExit, REPO_ROOT } from './cache.js';
import { type ChartRepo, startChartRepo } from './chart-repo.js';
import { clusterKubeconfig } from './cluster-lanes.js';
import { exec, type ExecResult } from './exec.js';
import { type HelmMirror, startHelmMirror } from './helm-mirror.js';
import {
  type ActionResult,
  pathWith,
  runAction,
  type RunActionOptions,
  startAction,
  type ActionRun,
} from './runner.js';
import { type HelmMajor, helmTool, type HelmTool } from './tools.js';

export const FIXTURE_CHART = join(REPO_ROOT, 'test', 'fixtures', 'charts', 'lily');
/** README's values file for a first daemon-mode deploy of the published chart. */
export const README_VALUES = join(REPO_ROOT, 'examples', 'lily-daemon-values.yaml');
/** Small requests, so that the pods of a whole test file fit the fake node. */
export const KWOK_SMALL_VALUES = join(REPO_ROOT, 'test', 'fixtures', 'values', 'kwok-small.yaml');
/** The fake lily on the real node: image, node selector, the fake's clock (after the README's file). */
export const REAL_NODE_VALUES = join(REPO_ROOT, 'test', 'fixtures', 'values', 'real-node.yaml');
/**
 * The values files of a deploy that wants a healthy release: the README's
 * file turns the chart's biting defaults off, as a user would.
 */
export const HEALTHY_VALUES_FILES = `${README_VALUES}\n${KWOK_SMALL_VALUES}`;
/**
 * The verify window of the e2e deploys that verify, unless a test gives its
 * own: the default 2m would be paid by every such deploy.
 */
export const E2E_VERIFY_WINDOW = '3s';
/** The fixture chart is published in these versions; 0.1.4 is the newest stable one. */
export const CHART_VERSIONS = ['0.1.3', '0.1.4', '0.1.5-rc1'];

export interface E2E {
  kubeconfigPath: string;
  kubeconfig: string;
  mirror: HelmMirror;
  repo: ChartRepo;
  close(): Promise<void>;
}

export interface E2EHandle {
  readonly e2e: E2E;
  readonly kube: Kube;
}

/**
 * A test file's e2e setup: started before its tests, closed (namespaces
 * deleted, servers stopped) after them.
 */
export function useE2E(options: { realNode?: boolean } = {}): E2EHandle {
  let ready: { e2e: E2E; kube: Kube } | undefined;
  before(async () => {
    const e2e = await startE2E(options);
    ready = { e2e, kube: await Kube.connect(e2e) };
  });
  after(() => ready?.e2e.close());
  const get = () => {
    if (!ready)
      throw new Error(
        'useE2E(): not started yet. Use it in tests or describe-level hooks: root-level before() hooks run concurrently with its own.',
      );
    return ready;
  };
  return {
    get e2e() {
      return get().e2e;
    },
    get kube() {
      return get().kube;
    },
  };
}

export async function startE2E(options: { realNode?: boolean } = {}): Promise<E2E> {
  const kubeconfigPath = clusterKubeconfig(options);
  const [kubeconfig, mirror, repo] = await Promise.all([
    readFile(kubeconfigPath, 'utf8'),
    startHelmMirror(),
    startChartRepo({ chartDir: FIXTURE_CHART, versions: CHART_VERSIONS }),
  ]);
  return {
    kubeconfigPath,
    kubeconfig,
    mirror,
    repo,
    // The namespaces of the file go, so that their pods (crash-looping ones
    // among them) stop loading the machine for the files after it.
    close: async () => {
      const home = await mkdtemp(join(tmpdir(), 'lily-deploy-e2e-cleanup-'));
      removeAtExit(home);
      const kubectl = (await helmTool(4)).kubectl;
      const made = names.splice(0);
      if (made.length > 0) {
        await exec(
          kubectl,
          ['delete', 'namespace', ...made, '--ignore-not-found', '--wait=false'],
          {
            env: { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfigPath },
            allowFailure: true,
          },
        );
      }
      await Promise.all([mirror.close(), repo.close()]);
    },
  };
}

const toolCaches = new Map<HelmMajor, Promise<string>>();

/** One tool cache per helm major for the whole test file. */
function toolCache(major: HelmMajor): Promise<string> {
  let dir = toolCaches.get(major);
  if (!dir) {
    dir = mkdtemp(join(tmpdir(), `lily-deploy-e2e-tools-${major}-`)).then((d) => {
      removeAtExit(d);
      return d;
    });
    toolCaches.set(major, dir);
  }
  return dir;
}

/** The action's inputs for a deploy of the fixture chart from the local repository. */
export async function deployInputs(
  e2e: E2E,
  major: HelmMajor,
  inputs: RunActionOptions['inputs'],
): Promise<RunActionOptions> {
  const tool = await helmTool(major);
  return {
    inputs: {
      'chart-version': '0.1.4',
      'repo-url': e2e.repo.repoUrl,
      'helm-version': tool.version,
      'helm-download-base-url': e2e.mirror.url,
      kubeconfig: e2e.kubeconfig,
      timeout: '2m',
      // kwok's pods have no Lily API (their IPs are fake): only the tests of
      // the verification verify (verify.test.ts for the pods on kwok, the
      // real node's for Lily's API).
      verify: 'false',
      'verify-window': E2E_VERIFY_WINDOW,
      'values-files': HEALTHY_VALUES_FILES,
      ...inputs,
    },
    toolCache: await toolCache(major),
    env: { PATH: pathWith(dirname(tool.kubectl)) },
  };
}

/** Runs the action (main and post steps) as the runner would. */
export async function deploy(
  e2e: E2E,
  major: HelmMajor,
  inputs: RunActionOptions['inputs'],
  extra: Partial<RunActionOptions> = {},
): Promise<ActionResult> {
  const options = await deployInputs(e2e, major, inputs);
  return runAction({ ...options, ...extra, env: { ...options.env, ...extra.env } });
}

/** Like deploy, with a handle on the running action (to cancel or kill it). */
export async function startDeploy(
  e2e: E2E,
  major: HelmMajor,
  inputs: RunActionOptions['inputs'],
  extra: Partial<RunActionOptions> = {},
): Promise<ActionRun> {
  const options = await deployInputs(e2e, major, inputs);
  return startAction({ ...options, ...extra, env: { ...options.env, ...extra.env } });
}

export interface FixtureContainer {
  name: string;
  image: string;
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
}

export interface FixtureStatefulSet {
  status: { replicas: number; readyReplicas?: number };
  spec: {
    template: { spec: { containers: FixtureContainer[]; initContainers?: FixtureContainer[] } };
  };
}

/** A kubectl bound to the e2e cluster. */
export class Kube {
  private constructor(
    private readonly tool: HelmTool,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async connect(e2e: E2E, major: HelmMajor = 4): Promise<Kube> {
    const home = await mkdtemp(join(tmpdir(), 'lily-deploy-e2e-kubectl-'));
    removeAtExit(home);
    return new Kube(await helmTool(major), {
      PATH: process.env.PATH,
      HOME: home,
      KUBECONFIG: e2e.kubeconfigPath,
    });
  }

  run(args: string[], input?: string): Promise<ExecResult> {
    return exec(this.tool.kubectl, args, {
      env: this.env,
      ...(input === undefined ? {} : { input }),
    });
  }

  async json<T>(args: string[]): Promise<T> {
    return JSON.parse((await this.run([...args, '-o', 'json'])).stdout) as T;
  }

  /** The object, or undefined when it does not exist. */
  async find<T>(args: string[]): Promise<T | undefined> {
    const result = await exec(this.tool.kubectl, [...args, '-o', 'json'], {
      env: this.env,
      allowFailure: true,
    });
    if (result.exitCode === 0) return JSON.parse(result.stdout) as T;
    if (/NotFound|not found/.test(result.stderr)) return undefined;
    throw new Error(result.stderr);
  }

  /** The fixture chart's daemon StatefulSet of a release (daemon mode). */
  daemonStatefulSet(release: string, namespace: string): Promise<FixtureStatefulSet> {
    return this.json<FixtureStatefulSet>([
      'get',
      'statefulset',
      `lily-${release}-dev-mainnet-daemon`,
      '-n',
      namespace,
    ]);
  }

  /** Every revision of the release as helm records it, oldest first; [] when there is none. */
  async releaseHistory(
    release: string,
    namespace: string,
  ): Promise<{ revision: number; status: string }[]> {
    const stdout = await this.helmOutput(['history', release, '-n', namespace, '-o', 'json']);
    if (stdout === undefined) return [];
    return (JSON.parse(stdout) as { revision: number; status: string }[]).map((h) => ({
      revision: h.revision,
      status: h.status,
    }));
  }

  /** The release's latest revision as helm records it, or undefined when there is none. */
  async releaseStatus(
    release: string,
    namespace: string,
  ): Promise<{ status: string; revision: number; chartVersion: string } | undefined> {
    const stdout = await this.helmOutput([
      'get',
      'metadata',
      release,
      '-n',
      namespace,
      '-o',
      'json',
    ]);
    if (stdout === undefined) return undefined;
    const doc = JSON.parse(stdout) as { status: string; revision: number; version: string };
    return { status: doc.status, revision: doc.revision, chartVersion: doc.version };
  }

  /** stdout of a helm read, or undefined when it fails (the release does not exist). */
  private async helmOutput(args: string[]): Promise<string | undefined> {
    const result = await exec(this.tool.helm, args, { env: this.env, allowFailure: true });
    return result.exitCode === 0 ? result.stdout : undefined;
  }
}

let counter = 0;
const names: string[] = [];
/** A namespace name no other test uses; close() deletes the namespace, if made. */
export function uniqueName(prefix: string): string {
  counter += 1;
  const name = `${prefix}-${process.pid.toString(36)}-${counter}`;
  names.push(name);
  return name;
}
