import { boundedName, repositoryDigest } from '../names.js';
import type { PullRequestEvent } from '../settings.js';
import { isRecord } from '../yaml.js';

// PR preview releases: one release (and namespace) per pull request, named
// from the event, within Helm's and Kubernetes' length limits.

export const MAX_RELEASE_NAME = 53;
export const MAX_NAMESPACE_NAME = 63;

const PULL_REQUEST_EVENTS = ['pull_request', 'pull_request_target'];

/** The pull request an event is about, or why there is none. */
export function pullRequestOf(eventName: string, payload: unknown): PullRequestEvent | string {
  if (!PULL_REQUEST_EVENTS.includes(eventName)) {
    return `needs a pull_request or pull_request_target event; this run is a ${eventName || 'run with no event'} event`;
  }
  const pr = isRecord(payload) && isRecord(payload.pull_request) ? payload.pull_request : undefined;
  const number =
    isRecord(payload) && typeof payload.number === 'number' ? payload.number : pr?.number;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1) {
    return 'needs the pull request number, which the event payload does not have';
  }
  const head = pr && isRecord(pr.head) ? pr.head : undefined;
  return {
    number,
    action: isRecord(payload) && typeof payload.action === 'string' ? payload.action : '',
    headSha: typeof head?.sha === 'string' ? head.sha : undefined,
  };
}

/**
 * `<base>-pr-<number>`, or `<base>-<hash>-pr-<number>` for a release several
 * repositories preview in one cluster (`sharedBy`: the repository, `owner/name`,
 * whose short hash keeps their previews apart); cut to `max` characters when
 * too long: the base is shortened and a short hash of the full name keeps
 * names of different bases apart, always the same for the same input.
 */
export function previewName(base: string, number: number, max: number, sharedBy?: string): string {
  const head = sharedBy === undefined ? base : `${base}-${repositoryDigest(sharedBy, 6)}`;
  return boundedName(head, `-pr-${number}`, max);
}

/** The GitHub Deployment environment of a preview. */
export function previewEnvironment(number: number): string {
  return `preview/pr-${number}`;
}
