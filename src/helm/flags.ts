import type { ServerSideSetting } from '../settings.js';

// Helm 3 and Helm 4 spell some upgrade flags differently. Everything that
// depends on the major version is decided here, from plain data.

export type HelmMajor = 3 | 4;

export interface UpgradeOptions {
  release: string;
  chartRef: string;
  /** Exact version, or undefined for the newest stable one. */
  version?: string;
  namespace: string;
  createNamespace: boolean;
  valuesFiles: string[];
  wait: boolean;
  timeout: string;
  atomic: boolean;
  /** The release's own labels (kept in helm's record of it); none = no flag. */
  labels?: Record<string, string>;
  extraArgs: string[];
}

export function helmMajor(version: string): HelmMajor {
  const major = Number(version.replace(/^v/, '').split('.')[0]);
  if (major !== 3 && major !== 4)
    throw new Error(`Helm v${version} is not supported; use Helm 3 or 4`);
  return major;
}

export function waitFlags(major: HelmMajor, wait: boolean): string[] {
  if (!wait) return [];
  // Helm 4's --wait takes a strategy; 'watcher' is the kstatus-based one that
  // replaced Helm 3's polling wait.
  return major === 3 ? ['--wait'] : ['--wait=watcher'];
}

/** `helm list` of releases in every status (Helm 3 lists only deployed and failed ones unless asked). */
export function listAllFlags(major: HelmMajor): string[] {
  return major === 3 ? ['--all'] : [];
}

export function rollbackOnFailureFlag(major: HelmMajor): string {
  return major === 3 ? '--atomic' : '--rollback-on-failure';
}

export function upgradeArgs(major: HelmMajor, options: UpgradeOptions): string[] {
  return [
    'upgrade',
    '--install',
    options.release,
    options.chartRef,
    ...(options.version ? ['--version', options.version] : []),
    '--namespace',
    options.namespace,
    ...(options.createNamespace ? ['--create-namespace'] : []),
    ...options.valuesFiles.flatMap((file) => ['--values', file]),
    ...waitFlags(major, options.wait),
    '--timeout',
    options.timeout,
    ...(options.atomic ? [rollbackOnFailureFlag(major)] : []),
    ...labelsFlag(options.labels),
    ...options.extraArgs,
  ];
}

/** `--labels k=v,…` (helm 3.13 and later, helm 4), merged by helm with the release's labels. */
function labelsFlag(labels: Record<string, string> | undefined): string[] {
  const pairs = Object.entries(labels ?? {}).map(([key, value]) => `${key}=${value}`);
  return pairs.length > 0 ? ['--labels', pairs.join(',')] : [];
}

// Flags renamed between the majors: [Helm 3 spelling, Helm 4 spelling].
const RENAMED_FLAGS: [string, string][] = [
  ['--atomic', '--rollback-on-failure'],
  ['--force', '--force-replace'],
  ['--wait', '--wait=watcher'],
];

export interface TranslatedArgs {
  args: string[];
  /** One line per rewritten flag, for the log. */
  notes: string[];
}

/**
 * Rewrites flags of `extra-args` written for the other Helm major, so one
 * workflow works on both: `--atomic` becomes `--rollback-on-failure` on Helm 4
 * and back on Helm 3.
 */
export function translateExtraArgs(major: HelmMajor, args: string[]): TranslatedArgs {
  const notes: string[] = [];
  const translated = args.flatMap((arg) => {
    for (const [v3, v4] of RENAMED_FLAGS) {
      const [from, to] = major === 4 ? [v3, v4] : [v4, v3];
      if (arg === from) {
        notes.push(`extra-args: ${from} is spelled ${to} on Helm ${major}; passing ${to}`);
        return [to];
      }
    }
    if (major === 3 && /^--wait=/.test(arg)) {
      // Helm 3 has one wait strategy; 'hookOnly' is Helm 4's way of not waiting.
      const keep = arg !== '--wait=hookOnly';
      notes.push(
        `extra-args: ${arg} is Helm 4 only; passing ${keep ? '--wait' : 'nothing'} on Helm 3`,
      );
      return keep ? ['--wait'] : [];
    }
    return [arg];
  });
  return { args: translated, notes };
}

// The flags of extra-args that change the rendered values, with or without '='.
const VALUE_FLAGS = [
  '--set',
  '--set-string',
  '--set-file',
  '--set-json',
  '--set-literal',
  '--values',
  '-f',
];

/** The value flags of extra-args, for rendering the release the way the upgrade will. */
export function valueArgs(args: string[]): string[] {
  return args.flatMap((arg, i) => {
    if (VALUE_FLAGS.includes(arg)) return [arg, ...(i + 1 < args.length ? [args[i + 1]!] : [])];
    return VALUE_FLAGS.some((flag) => arg.startsWith(`${flag}=`)) ? [arg] : [];
  });
}

/** Does extra-args already choose how Helm 4 applies (--server-side[=…])? */
export function choosesServerSide(args: string[]): boolean {
  return args.some((arg) => arg === '--server-side' || arg.startsWith('--server-side='));
}

/**
 * Helm 4's --server-side for the `server-side` input. `auto` leaves it to
 * helm (server-side on install, the release's previous way on upgrade)
 * unless the chart has objects server-side apply refuses: then client-side,
 * as Helm 3 applies. Helm 3 only applies client-side and takes no flag.
 */
export function serverSideArgs(
  major: HelmMajor,
  setting: ServerSideSetting,
  chartHasUndeclaredFields: boolean,
): string[] {
  if (major === 3) return [];
  if (setting === 'auto') return chartHasUndeclaredFields ? ['--server-side=false'] : [];
  return [`--server-side=${setting}`];
}
