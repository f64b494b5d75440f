import * as core from '@actions/core';
import type { ClusterAccess } from '../cluster-access.js';
import { DeployError } from '../failure-reason.js';
import { choosesServerSide, serverSideArgs, valueArgs } from '../helm/flags.js';
import { type AccessCheck, deniedTable, grantingRoles } from '../preflight/access-review.js';
import {
  checkAgainstCluster,
  type ClusterReads,
  logPreflight,
  type PreflightResult,
  startClusterReads,
} from '../preflight/check-cluster.js';
import { type PreflightProblem, undeclaredFieldsWarning } from '../preflight/preflight.js';
import { schemaCacheDir } from '../preflight/schema-cache.js';
import type { Values } from '../inputs/values.js';
import { parseManifest } from '../kube/manifest.js';
import { checkLilyConfig } from '../lily/config-checks.js';
import type { Settings } from '../settings.js';
import { renderPreflightFailure } from './summary.js';

export interface RenderRequest {
  /** The release's manifest as the upgrade will apply it. */
  manifest: Promise<string>;
  extraArgs: string[];
  /** Will this run create the namespace? Known once the cluster has answered. */
  createsNamespace: Promise<boolean>;
  /** The reads that need no render, started while it renders (startPreflightReads). */
  reads: Promise<ClusterReads>;
}

/** The release rendered locally (`helm template`): no cluster access, a kind the cluster lacks renders all the same. */
export function renderLocally(
  settings: Settings,
  cluster: ClusterAccess,
  chartRef: string,
  valuesFiles: string[],
  extraArgs: string[],
): Promise<string> {
  return cluster.helm.template(settings.release, chartRef, {
    namespace: settings.namespace,
    valuesFiles,
    valueArgs: valueArgs(extraArgs),
  });
}

/** Checks the rendered release against the cluster (the schema check where checksSchemas says). */
export async function preflightChecks(
  settings: Settings,
  cluster: ClusterAccess,
  request: RenderRequest,
): Promise<PreflightResult> {
  const [manifest, createsNamespace, reads] = await Promise.all([
    request.manifest,
    request.createsNamespace,
    request.reads,
  ]);
  return checkAgainstCluster(cluster, {
    manifest,
    reads,
    access: {
      namespace: settings.namespace,
      createsNamespace,
      writesSecret: settings.database !== undefined,
      storage: cluster.releases.storage,
      remediate: settings.failure.remediate,
      verifiesLilyApi: settings.verify.enabled && settings.wait,
    },
    checkSchemas: checksSchemas(settings, cluster, request.extraArgs),
    keptSchemas: keptSchemasDir(),
  });
}

/** Where the schema check keeps what it read for the next run: the tool cache, if the runner has one. */
export function keptSchemasDir(): string | undefined {
  const toolCache = process.env.RUNNER_TOOL_CACHE;
  return toolCache ? schemaCacheDir(toolCache) : undefined;
}

/** The preflight's reads that need no render, started once the cluster answers. */
export async function startPreflightReads(
  settings: Settings,
  cluster: ClusterAccess,
  extraArgs: string[],
): Promise<ClusterReads> {
  await cluster.ready();
  return startClusterReads(
    await cluster.api(),
    settings.namespace,
    checksSchemas(settings, cluster, extraArgs),
  );
}

/**
 * The Helm 4 schema check runs only when it decides something: with
 * server-side auto and no --server-side in extra-args (and for a plan, whose
 * diff leaves out what the server drops).
 */
function checksSchemas(settings: Settings, cluster: ClusterAccess, extraArgs: string[]): boolean {
  return (
    settings.command === 'plan' ||
    (cluster.helm.major === 4 && settings.serverSide === 'auto' && !choosesServerSide(extraArgs))
  );
}

/**
 * Reports the preflight: fails the run on what helm would fail on or wait on
 * in vain, warns about the rest. Returns the apply flags it decided.
 */
export async function settleOnPreflight(
  settings: Settings,
  cluster: ClusterAccess,
  result: PreflightResult,
): Promise<string[]> {
  logPreflight(result);
  warnAboutPreflight(result);
  const missing = result.denied.filter((d) => d.required);
  const problems = [
    ...(missing.length > 0 ? [accessProblem(settings.namespace, missing)] : []),
    ...result.problems,
  ];
  await failOnProblems(settings, problems);
  return serverSideArgs(cluster.helm.major, settings.serverSide, result.undeclared.length > 0);
}

/**
 * The Lily preflight: refuses what Lily would fail on (or index into
 * nothing with), warns about the rest. `values` are merged as helm merges
 * them (chart defaults, the user's, ours); `manifest` is the rendered release.
 */
export async function settleOnLilyPreflight(
  settings: Settings,
  values: Values,
  manifest: string,
): Promise<void> {
  const report = checkLilyConfig(values, parseManifest(manifest));
  core.info(
    `Lily preflight: ${report.errors.length} problem(s), ${report.warnings.length} warning(s)`,
  );
  for (const w of report.warnings)
    core.warning(`${w.summary}\nTo change it, set ${w.path}, e.g.:\n${w.example}`, {
      title: 'lily-deploy: Lily',
    });
  await failOnProblems(
    settings,
    report.errors.map((e) => ({
      reason: 'lily-config',
      summary: e.summary,
      remedy: `set ${e.path} in your values (lily-preflight: false skips this check), e.g.:\n${e.example}`,
    })),
  );
}

/** Fails the run, before any change, on the first of the problems, naming them all. */
async function failOnProblems(settings: Settings, problems: PreflightProblem[]): Promise<void> {
  const first = problems[0];
  if (!first) return;
  for (const p of problems)
    core.error(`${p.summary}\nRemedy: ${p.remedy}`, { title: `lily-deploy: ${p.reason}` });
  await core.summary
    .addRaw(renderPreflightFailure(settings.release, settings.namespace, problems))
    .write();
  throw new DeployError(
    first.reason,
    `${settings.command === 'plan' ? 'Plan' : 'Deploy'} of ${settings.release} failed (${first.reason}) before any change by helm: ${first.summary}\nRemedy: ${first.remedy}`,
  );
}

/** What the preflight found that waiting may cure or that is applied another way. */
function warnAboutPreflight(result: PreflightResult): void {
  for (const warning of result.warnings)
    core.warning(warning, { title: 'lily-deploy: pod larger than any node' });
  for (const { object, fields } of result.undeclared)
    core.warning(undeclaredFieldsWarning(object, fields), {
      title: 'lily-deploy: applied client-side',
    });
  const optional = result.denied.filter((d) => !d.required);
  if (optional.length > 0)
    core.warning(
      `These credentials may not do what only diagnostics or optional features use; they will be missing if needed:\n${deniedTable(optional)}`,
      { title: 'lily-deploy: permissions' },
    );
}

/** The preflight problem of permissions a deploy needs and may not use. */
function accessProblem(namespace: string, missing: AccessCheck[]): PreflightProblem {
  return {
    reason: 'access-denied',
    summary: `these credentials may not do what this deploy needs (asked with SelfSubjectAccessReviews):\n${deniedTable(missing)}`,
    remedy: `Grant it to the deploying identity, for example with this Role, bound to it with a RoleBinding in ${namespace}:\n${grantingRoles(missing, namespace)}`,
  };
}
