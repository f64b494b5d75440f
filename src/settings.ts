import type { PlanDigest } from './plan-digest.js';

// The action's inputs, parsed and validated into one typed object: what the
// rest of the action is told. It imports only types of its own layer, so
// every part can use it.

/** How Helm 4 applies the release: the server-side input. */
export type ServerSideSetting = 'auto' | 'true' | 'false';

/** The pull request a preview release is for. */
export interface PullRequestEvent {
  number: number;
  /** opened, synchronize, reopened, closed, … */
  action: string;
  /** The PR head commit, for the GitHub deployment's ref. */
  headSha?: string;
}

export type ChartRef =
  { kind: 'repo'; name: string } | { kind: 'oci'; url: string } | { kind: 'local'; path: string };

export interface RepoSettings {
  name: string;
  url: string;
  username?: string;
  password?: string;
}

export interface DatabaseSettings {
  /** The full Postgres URL: a secret. */
  url: string;
  secretName: string;
  secretKey: string;
  storageName: string;
  schema: string;
  applicationName: string;
  /** Dotted path of the storage list in the chart values, or 'auto'. */
  valuesPath: string;
}

export interface HelmInstallSettings {
  /** 'latest', or an exact version without the leading v. */
  version: string;
  downloadBaseUrl: string;
  sha256?: string;
}

export type Command = 'deploy' | 'uninstall' | 'plan' | 'sweep' | 'status';

export interface Settings {
  /** What to do; a closed pull request in preview mode makes it 'uninstall'. */
  command: Command;
  /** The pull request of a preview release. */
  preview?: PullRequestEvent;
  /** For a sweep, the release whose previews are swept, or '' for all. */
  release: string;
  /** '' for a sweep, which finds the previews' namespaces itself. */
  namespace: string;
  createNamespace: boolean;
  /**
   * The namespace is a preview's own, named after its pull request and made on
   * demand: only one lily-deploy created for the release is used.
   */
  previewNamespace: boolean;
  /** Kubeconfig YAML from the input; undefined = the ambient KUBECONFIG. */
  kubeconfig?: string;
  kubeContext?: string;
  chart: ChartRef;
  /** An exact chart version, or 'latest'. */
  chartVersion: string;
  repo: RepoSettings;
  valuesFiles: string[];
  /** Inline `values`, parsed. */
  values?: Record<string, unknown>;
  /** Check the merged values and the rendered release against what Lily would do. */
  lilyPreflight: boolean;
  database?: DatabaseSettings;
  helm: HelmInstallSettings;
  wait: boolean;
  /** Go duration as given, for helm. */
  timeout: string;
  atomic: boolean;
  /** How Helm 4 applies the release (the server-side input). */
  serverSide: ServerSideSetting;
  extraArgs: string[];
  /** The reviewed plan a deploy must apply exactly (plan-digest). */
  planDigest?: PlanDigest;
  failure: FailureSettings;
  startup: StartupSettings;
  verify: VerifySettings;
  status: StatusSettings;
  cleanup: CleanupSettings;
  github: GithubSettings;
  sweep: SweepSettings;
  lock: LockSettings;
}

/** What command sweep removes, and whether it only says so. */
export interface SweepSettings {
  /** An open pull request's preview not deployed for this long is removed; undefined = never. */
  previewTtlMs?: number;
  /** List what would be removed; remove nothing. */
  dryRun: boolean;
  /** Sweep the previews of other repositories too. */
  otherRepositories: boolean;
}

/** The in-cluster lock of a release. */
export interface LockSettings {
  /** How long a run waits for a lock another run holds before it fails. */
  timeoutMs: number;
}

/** What uninstall deletes besides the release. */
export interface CleanupSettings {
  /** PVCs made from the release's StatefulSet claim templates. */
  deletePvcs: boolean;
  /** The namespace, when lily-deploy created it for this release. */
  deleteNamespace: boolean;
}

/** GitHub Deployments: off without a token. */
export interface GithubSettings {
  token?: string;
  /** The pull request of a pull_request event: where a plan's sticky comment goes. */
  pullRequest?: number;
  environment: string;
  environmentUrl?: string;
}

/** How a deploy waits for a Lily start-up (phases and the deadlines that follow its progress). */
export interface StartupSettings {
  /** ready: Ready and verified; started: every Lily pod scheduled and its start-up advancing. */
  waitFor: 'ready' | 'started';
  /** The timeout input, in ms. */
  timeoutMs: number;
  /** A start-up whose progress marker did not advance for this long has stalled. */
  stallTimeout: string;
  stallTimeoutMs: number;
  /** The longest a progressing start-up may take. */
  startupTimeout: string;
  startupTimeoutMs: number;
}

/** The verify window: after helm's wait passed, the release's pods must stay up this long. */
export interface VerifySettings {
  enabled: boolean;
  /** The window as given (a Go duration), for the log. */
  window: string;
  windowMs: number;
}

/** command status: when a deployed Lily counts as unhealthy. */
export interface StatusSettings {
  /** The most a chain head may lag behind the network, as given (a Go duration). */
  maxLag: string;
  maxLagMs: number;
}

export interface FailureSettings {
  /** Stop waiting as soon as a pod is fatally stuck. */
  failFast: boolean;
  /** A crash-looping container is fatal from this many restarts on. */
  failFastRestarts: number;
  /** Log lines kept per container in the diagnostics. */
  logLines: number;
  /** A pod the scheduler cannot place is fatal after this long (a scale-up restarts it). */
  unschedulableGraceMs: number;
  /** Lily's database check (init-database) with no answer for this long fails the deploy. */
  databaseTimeout: string;
  databaseTimeoutMs: number;
  /** Delete a stale PVC / a Multi-Attach-stuck pod of the release, once. */
  remediate: boolean;
  /** A pending release older than this is repaired before deploying. */
  stuckReleaseTimeoutMs: number;
  /** Repair a pending release whatever its age. */
  recoverStuckRelease: boolean;
}
