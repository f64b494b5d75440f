import { MAX_RELEASE_NAME, previewName } from '../github/preview.js';
import type { PullRequestState } from '../github/pull-requests.js';
import { formatSpan } from '../inputs/duration.js';
import { type PreviewMarks, releaseIsPreviewOf } from '../kube/objects.js';

// Which previews a sweep removes, and why each is kept or removed. Pure: the
// previews found in the cluster and the pull request states read from GitHub
// are given. It never removes what lily-deploy did not make (whatever labels
// and annotations say, helm's own record of the release must say that
// lily-deploy deployed it as that preview), another repository's preview
// unless asked, or a preview whose pull request state is not known.

/** A preview as found in the cluster. */
export interface FoundPreview {
  release: string;
  namespace: string;
  /** Its marks (pull request, repository, last deploy); undefined when it carries none. */
  marks?: PreviewMarks;
  /** Whether its namespace or Secret carries lily-deploy's labels for this release. */
  madeByLilyDeploy: boolean;
  /**
   * helm's record of the release: its own labels (which a preview deploy sets
   * to its marks), 'none' when helm has no record of it, or why it could not
   * be read.
   */
  record: { labels: Record<string, string> } | 'none' | { error: string };
}

export interface SweepContext {
  /** `owner/name` of the repository this run is for. */
  repository: string;
  /** Whether previews of other repositories are swept too (sweep-other-repositories). */
  otherRepositories: boolean;
  /** The release input: only its previews (`<base>-pr-<number>`, or with a repository hash) are swept; undefined = all. */
  base?: string;
  /** An open pull request's preview not deployed for longer than this is removed; undefined = never. */
  ttlMs?: number;
  now: Date;
  /** By pullRequestKey(repository, number). */
  states: ReadonlyMap<string, PullRequestState>;
}

/** What tells whether a preview is this sweep's to remove, whatever its pull request. */
export type SweepScope = Pick<SweepContext, 'repository' | 'otherRepositories' | 'base'>;

export interface SweepDecision {
  preview: FoundPreview;
  action: 'remove' | 'keep';
  why: string;
}

/** The key of a pull request in the states: numbers repeat across repositories. */
export function pullRequestKey(repository: string, number: number): string {
  return `${repository.toLowerCase()}#${number}`;
}

/** `#42` for this run's repository, `owner/name#42` for another. */
export function pullRequestRef(marks: PreviewMarks, repository: string): string {
  return sameRepository(marks.repository, repository)
    ? `#${marks.number}`
    : `${marks.repository}#${marks.number}`;
}

/** The pull requests whose state the sweep needs: those of the previews it may remove. */
export function pullRequestsToRead(
  previews: readonly FoundPreview[],
  scope: SweepScope,
): { repository: string; number: number }[] {
  const wanted = new Map<string, { repository: string; number: number }>();
  for (const preview of previews) {
    const { marks } = preview;
    if (!marks || whyNotOurs(preview, scope) !== undefined) continue;
    const { repository, number } = marks;
    wanted.set(pullRequestKey(repository, number), { repository, number });
  }
  return [...wanted.values()];
}

/** A decision for each preview, in the order given. */
export function decideSweep(
  previews: readonly FoundPreview[],
  context: SweepContext,
): SweepDecision[] {
  return previews.map((preview) => ({ preview, ...decide(preview, context) }));
}

function decide(preview: FoundPreview, context: SweepContext): Omit<SweepDecision, 'preview'> {
  const { marks } = preview;
  const notOurs = whyNotOurs(preview, context);
  if (notOurs !== undefined || !marks) return keep(notOurs ?? 'carries no pull request marks');
  const ref = pullRequestRef(marks, context.repository);
  const state = context.states.get(pullRequestKey(marks.repository, marks.number));
  if (state === undefined) return keep(`the state of pull request ${ref} was not read`);
  if (typeof state === 'object') {
    return keep(`could not read the state of pull request ${ref}: ${state.error}`);
  }
  if (state === 'closed') return remove(`pull request ${ref} is closed`);
  if (state === 'merged') return remove(`pull request ${ref} is merged`);
  return decideOpen(ref, marks.deployedAt, context);
}

/** Why a preview is not this sweep's to remove, whatever its pull request; undefined when it is. */
function whyNotOurs(preview: FoundPreview, scope: SweepScope): string | undefined {
  const { marks, release } = preview;
  if (!preview.madeByLilyDeploy) {
    return "not made by lily-deploy: its namespace and Secret lack lily-deploy's labels";
  }
  if (!marks) {
    return 'carries no pull request marks: not a preview, or deployed by a lily-deploy version that did not mark previews';
  }
  const { base } = scope;
  if (base !== undefined && !isPreviewOf(base, release, marks)) {
    return `not a preview of release ${base}`;
  }
  if (!scope.otherRepositories && !sameRepository(marks.repository, scope.repository)) {
    return `a preview of ${marks.repository}; sweep-other-repositories is false`;
  }
  return whyNotProven(preview, marks);
}

/**
 * Why helm's record of the release does not back the marks, which are
 * labels and annotations anyone who may write a Secret can forge; undefined
 * when it says lily-deploy deployed the release as that preview.
 */
function whyNotProven({ release, record }: FoundPreview, marks: PreviewMarks): string | undefined {
  if (record === 'none') {
    return `helm has no record of release ${release}, so nothing but labels says it is a preview lily-deploy deployed; remove what is left with command uninstall`;
  }
  if ('error' in record)
    return `could not read helm's record of release ${release}: ${record.error}`;
  if (!releaseIsPreviewOf(record.labels, marks)) {
    return `helm's record of release ${release} does not say lily-deploy deployed it as the preview of ${marks.repository}#${marks.number} (not deployed by lily-deploy, or by an older lily-deploy that did not label releases: a new deploy of the pull request labels it)`;
  }
  return undefined;
}

/** Is the release a preview of `base`, named either way (with shared-release or without)? */
function isPreviewOf(base: string, release: string, marks: PreviewMarks): boolean {
  return (
    release === previewName(base, marks.number, MAX_RELEASE_NAME) ||
    release === previewName(base, marks.number, MAX_RELEASE_NAME, marks.repository)
  );
}

/** An open pull request's preview: removed only when idle for longer than the TTL. */
function decideOpen(
  ref: string,
  deployedAt: Date,
  context: SweepContext,
): Omit<SweepDecision, 'preview'> {
  const idleMs = Math.max(0, context.now.getTime() - deployedAt.getTime());
  const last = `last deployed ${formatSpan(idleMs)} ago (${deployedAt.toISOString()})`;
  if (context.ttlMs === undefined) return keep(`pull request ${ref} is open; ${last}`);
  const ttl = formatSpan(context.ttlMs);
  if (idleMs > context.ttlMs) {
    return remove(
      `pull request ${ref} is open, but idle for longer than preview-ttl (${ttl}): ${last}`,
    );
  }
  return keep(`pull request ${ref} is open; ${last}, within preview-ttl (${ttl})`);
}

function keep(why: string): Omit<SweepDecision, 'preview'> {
  return { action: 'keep', why };
}

function remove(why: string): Omit<SweepDecision, 'preview'> {
  return { action: 'remove', why };
}

/** GitHub's owner and repository names are not case-sensitive. */
function sameRepository(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
