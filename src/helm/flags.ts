import type { ServerSideSetting } from '../settings.js';

// Helm 3 and Helm 4 spell some upgrade flags differently. Everything that
// depends on the major version is decided here, from plain data.

export type HelmMajor = 3 | 4;

export interface UpgradeOptions {
  release: string;
  /** The chart archive (or directory) the run pulled. */
  chartRef: string;
  /** Made, or found, by the run before helm: helm is never asked to create it. */
  namespace: string;
  valuesFiles: string[];
  wait: boolean;
  timeout: string;
  atomic: boolean;
  /** The release's own labels (kept in helm's record of it); none = no flag. */
  labels?: Record<string, string>;
  /** The API server validates fields itself (see serverValidatesFields). */
  serverValidatesFields: boolean;
  extraArgs: string[];
}

/**
 * Does the API server validate fields itself (the fieldValidation parameter,
 * GA and always on from Kubernetes 1.27)? Then helm's OpenAPI validation
 * validates nothing: it downloads the OpenAPI documents of the release's
 * group-versions only to learn that the server does (kubectl's
 * paramVerifyingSchema), 100–250 ms per helm call on the bench's cluster.
 */
export function serverValidatesFields(kubernetesVersion: string): boolean {
  const match = /^v?(\d+)\.(\d+)/.exec(kubernetesVersion);
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 1 || (major === 1 && minor >= 27);
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
    '--namespace',
    options.namespace,
    ...options.valuesFiles.flatMap((file) => ['--values', file]),
    ...waitFlags(major, options.wait),
    '--timeout',
    options.timeout,
    ...(options.atomic ? [rollbackOnFailureFlag(major)] : []),
    ...labelsFlag(options.labels),
    // Before extra-args: a user's --disable-openapi-validation=false comes last and wins.
    ...(options.serverValidatesFields ? ['--disable-openapi-validation'] : []),
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

interface ValueFlag {
  flag: string;
  /** What it is given (`a=1`); undefined when extra-args ends with the flag. */
  value?: string;
  /** The arguments it was spelled with: `--set a=1` or `--set=a=1`. */
  args: string[];
}

/** The value flags of extra-args, in both spellings. */
function valueFlags(args: string[]): ValueFlag[] {
  return args.flatMap((arg, i): ValueFlag[] => {
    if (VALUE_FLAGS.includes(arg))
      return [{ flag: arg, value: args[i + 1], args: args.slice(i, i + 2) }];
    const flag = VALUE_FLAGS.find((f) => arg.startsWith(`${f}=`));
    return flag ? [{ flag, value: arg.slice(flag.length + 1), args: [arg] }] : [];
  });
}

/** The value flags of extra-args, for rendering the release the way the upgrade will. */
export function valueArgs(args: string[]): string[] {
  return valueFlags(args).flatMap((f) => f.args);
}

/** The values given on helm's command line, the files whose content is one (`--set-file`), and the keys they set. */
export interface CommandLineValues {
  values: string[];
  files: string[];
  /** `daemon.env[0].value`, as helm reads it: the place of a value in the release's values. */
  keys: string[];
}

/**
 * What extra-args sets on helm's command line: each value of `--set` and
 * `--set-string` (`a=b,c={d,e}` gives b, d and e, unescaped), of
 * `--set-literal` (all after the first `=`), and the paths of `--set-file`;
 * and the keys each sets.
 */
export function commandLineValues(args: string[]): CommandLineValues {
  const found: CommandLineValues = { values: [], files: [], keys: [] };
  for (const { flag, value: spec = '' } of valueFlags(args)) {
    if (flag === '--set-literal') {
      found.keys.push(spec.slice(0, Math.max(0, spec.indexOf('='))));
      found.values.push(spec.slice(spec.indexOf('=') + 1));
    }
    if (flag !== '--set' && flag !== '--set-string' && flag !== '--set-file') continue;
    const values = splitUnescaped(spec, ',').flatMap((pair) => {
      const equals = indexUnescaped(pair, '=');
      found.keys.push(pair.slice(0, Math.max(0, equals)));
      const value = pair.slice(equals + 1);
      return /^\{.*\}$/s.test(value) ? splitUnescaped(value.slice(1, -1), ',') : [value];
    });
    found[flag === '--set-file' ? 'files' : 'values'].push(
      ...values.map((v) => v.replace(/\\(.)/gs, '$1')),
    );
  }
  return found;
}

/** The index of the first `separator` not escaped by a backslash; -1 when there is none. */
function indexUnescaped(text: string, separator: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === separator) return i;
  }
  return -1;
}

/** The text split at each `separator` neither escaped nor inside braces (helm's `{a,b}` lists). */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let [start, depth] = [0, 0];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '{') depth++;
    else if (text[i] === '}') depth--;
    else if (text[i] === separator && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return [...parts, text.slice(start)];
}

// The flags of extra-args that say how a chart is fetched and verified:
// given to the one `helm pull` too (helm upgrade takes them all the same).
const FETCH_FLAGS_WITH_VALUE = ['--keyring', '--ca-file', '--cert-file', '--key-file'];
const FETCH_SWITCHES = [
  '--verify',
  '--devel',
  '--insecure-skip-tls-verify',
  '--plain-http',
  '--pass-credentials',
];

/** The fetch flags of extra-args (`--verify`, `--keyring k`, `--ca-file=f`…), as spelled. */
export function fetchArgs(args: string[]): string[] {
  return args.flatMap((arg, i) => {
    const name = arg.split('=')[0] as string;
    if (FETCH_SWITCHES.includes(name)) return [arg];
    if (!FETCH_FLAGS_WITH_VALUE.includes(name)) return [];
    return arg.includes('=') ? [arg] : args.slice(i, i + 2);
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
