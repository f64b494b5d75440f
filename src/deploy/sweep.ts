import * as core from '@actions/core';
import { mapWithLimit } from '../background.js';
import type { ClusterAccess } from '../cluster-access.js';
import type { GithubDeployments } from '../github/deployments.js';
import { previewEnvironment } from '../github/preview.js';
import type { PullRequests } from '../github/pull-requests.js';
import {
  MANAGED_BY,
  MANAGED_BY_LABEL,
  type PreviewMarks,
  previewMarksOf,
  RELEASE_LABEL,
} from '../kube/objects.js';
import type { KubeObject } from '../kube/types.js';
import type { Settings } from '../settings.js';
import {
  decideSweep,
  type FoundPreview,
  pullRequestKey,
  pullRequestsToRead,
  type SweepDecision,
  type SweepScope,
} from '../sweep/decide.js';
import { renderSweepSummary, type SweepResult, sweptOutput } from '../sweep/render.js';
import { removeRelease } from './uninstall.js';

// command sweep: the previews lily-deploy made, found by the labels and marks
// on their namespaces and Secrets; their pull requests' states from GitHub;
// then each preview to remove goes as a closed pull request's does, under
// its release's lock, several side by side.

/**
 * Removals side by side. Each mostly waits (helm's --wait, the namespace
 * controller); 20 at once remove 20 previews in about three uninstalls' time
 * on a 2-core runner (npm run bench; 10 at once took almost four), and bound
 * the helm and kubectl processes of a larger sweep.
 */
const REMOVALS_AT_ONCE = 20;
/** Pull request reads side by side. */
const READS_AT_ONCE = 10;

export interface SweepRun {
  settings: Settings;
  cluster: ClusterAccess;
  /** `owner/name` of the run's repository. */
  repository: string;
  pullRequests: PullRequests;
  /** The GitHub Deployments of a repository; undefined without a token. */
  deploymentsOf(repository: string): GithubDeployments | undefined;
}

export async function sweep(run: SweepRun): Promise<void> {
  const { settings, cluster, repository } = run;
  await cluster.ready();
  const found = await core.group('Previews in the cluster', async () => {
    const previews = await findPreviews(cluster);
    core.info(
      `${previews.length} found (namespaces and Secrets labelled ${MANAGED_BY_LABEL}=${MANAGED_BY})`,
    );
    return previews;
  });
  const scope: SweepScope = {
    repository,
    otherRepositories: settings.sweep.otherRepositories,
    base: settings.release || undefined,
  };
  const states = await core.group('Pull requests', async () => {
    const wanted = pullRequestsToRead(found, scope);
    const read = await mapWithLimit(wanted, READS_AT_ONCE, async (pr) => {
      const state = await run.pullRequests.state(pr.repository, pr.number);
      core.info(
        `${pr.repository}#${pr.number}: ${typeof state === 'string' ? state : `not read: ${state.error}`}`,
      );
      return [pullRequestKey(pr.repository, pr.number), state] as const;
    });
    return new Map(read);
  });
  const decisions = decideSweep(found, {
    ...scope,
    ttlMs: settings.sweep.previewTtlMs,
    now: new Date(),
    states,
  });
  for (const { preview, action, why } of decisions) {
    core.info(`${preview.release} (namespace ${preview.namespace}): ${action}, ${why}`);
  }
  const removals = decisions.filter((d) => d.action === 'remove');
  const results: SweepResult[] = settings.sweep.dryRun
    ? decisions
    : await core.group(`Remove ${removals.length} previews`, async () => {
        const removed = await mapWithLimit(removals, REMOVALS_AT_ONCE, (d) =>
          removePreview(d, run),
        );
        return decisions.map((d) => removed.find((r) => r.preview === d.preview) ?? d);
      });
  if (settings.sweep.dryRun) core.info('Dry run: nothing was removed');
  core.setOutput('swept', sweptOutput(results));
  await core.summary
    .addRaw(renderSweepSummary({ results, dryRun: settings.sweep.dryRun, repository }))
    .write();
  const failed = results.filter((r) => r.error !== undefined);
  if (failed.length > 0) {
    throw new Error(
      `${failed.length} of ${removals.length} previews could not be removed:\n` +
        failed.map((r) => `- ${r.preview.release}: ${r.error ?? ''}`).join('\n'),
    );
  }
}

/**
 * One preview per release and namespace, from the namespaces and Secrets
 * lily-deploy labelled; its marks are the most recent deploy either records,
 * beside helm's own record of the release, which must back them.
 */
async function findPreviews(cluster: ClusterAccess): Promise<FoundPreview[]> {
  const api = await cluster.api();
  const selector = `?labelSelector=${encodeURIComponent(`${MANAGED_BY_LABEL}=${MANAGED_BY}`)}`;
  const [namespaces, secrets] = await Promise.all([
    api.items<KubeObject>(`/api/v1/namespaces${selector}`),
    api.items<KubeObject>(`/api/v1/secrets${selector}`),
  ]);
  const previews = new Map<string, Omit<FoundPreview, 'record'>>();
  const add = (object: KubeObject, namespace: string | undefined) => {
    const release = object.metadata.labels?.[RELEASE_LABEL];
    if (!release || !namespace) return;
    const key = `${namespace}/${release}`;
    const marks = newest(previews.get(key)?.marks, previewMarksOf(object));
    previews.set(key, { release, namespace, marks, madeByLilyDeploy: true });
  };
  for (const ns of namespaces) add(ns, ns.metadata.name);
  for (const secret of secrets) add(secret, secret.metadata.namespace);
  return mapWithLimit([...previews.values()], READS_AT_ONCE, async (preview) => ({
    ...preview,
    record: await recordOf(cluster, preview.release, preview.namespace),
  }));
}

/** helm's record of a release: its own labels, 'none', or why it could not be read. */
async function recordOf(
  cluster: ClusterAccess,
  release: string,
  namespace: string,
): Promise<FoundPreview['record']> {
  try {
    const record = await cluster.releases.latest(release, namespace);
    return record ? { labels: record.labels } : 'none';
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function newest(
  a: PreviewMarks | undefined,
  b: PreviewMarks | undefined,
): PreviewMarks | undefined {
  if (!a || !b) return a ?? b;
  return b.deployedAt > a.deployedAt ? b : a;
}

/**
 * Removes one preview as a closed pull request's uninstall does, under its
 * release's lock; its GitHub Deployments become inactive. A failure is its
 * result, so that the others still go.
 */
async function removePreview(decision: SweepDecision, run: SweepRun): Promise<SweepResult> {
  const { settings, cluster } = run;
  const { release, namespace, marks } = decision.preview;
  const say = (line: string) => {
    core.info(`${release}: ${line}`);
  };
  const lock = cluster.lockOf(release, namespace, say);
  try {
    await lock.take(settings.lock.timeoutMs);
    const done = await removeRelease({ ...settings, release, namespace }, cluster, (_name, part) =>
      part(),
    );
    if (marks)
      await run.deploymentsOf(marks.repository)?.deactivate(previewEnvironment(marks.number));
    say(`removed (${done.deleted.length} objects deleted)`);
    return decision;
  } catch (err) {
    say(`removal failed: ${(err as Error).message}`);
    return { ...decision, error: (err as Error).message };
  } finally {
    await lock.release();
  }
}
