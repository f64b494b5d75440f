import { DeployError, type FailureReason, type RunFailureReason } from '../failure-reason.js';
import { primaryReason } from './classify.js';
import type { Finding } from '../failure-reason.js';
import { InputError } from '../inputs/read.js';
import { missingKindRemedy } from './remedies.js';
import { CommandError } from '../process.js';
import { apiGroup } from '../kube/manifest.js';

/** The failure-reason output for an error that ended the run. */
export function failureReasonOf(err: unknown): RunFailureReason {
  if (err instanceof DeployError) return err.reason;
  if (err instanceof InputError) return err.reason;
  if (err instanceof CommandError && /^helm\b/.test(err.commandLine)) return 'helm-error';
  return 'error';
}

// Lines of helm's output that are not its error: warnings about the chart or
// the kubeconfig, and Helm 4's structured log lines at warning level.
const NOT_THE_ERROR = /^(WARNING:|W\d{4} |level=WARN|time=\S+ level=WARN|coalesce\.go)/;

/**
 * helm's own error, whole: from its first `Error:` line to the end (Helm 4
 * wraps long causes over several lines), else the output without its
 * warnings. Never a guess: these are helm's words.
 */
export function helmErrorText(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trimEnd());
  const start = lines.findIndex((l) => /^Error:/.test(l));
  const kept = (start === -1 ? lines : lines.slice(start)).filter(
    (l) => l !== '' && !NOT_THE_ERROR.test(l),
  );
  return kept.join('\n');
}

/** What to do about errors helm reports in a known way; undefined for the rest. */
export function helmErrorHint(error: string): string | undefined {
  const crd = /no matches for kind "([^"]+)" in version "([^"]+)"/.exec(error);
  if (crd) {
    const [, kind = '', version = ''] = crd;
    return `The cluster has no CRD for ${kind} (${version}). ${missingKindRemedy(`${kind} (${version})`, apiGroup(version))}`;
  }
  if (/failed to create typed patch object|field not declared in schema/.test(error)) {
    return (
      "The chart has an object with fields the API server's schema does not declare, which Helm 4's server-side apply refuses. " +
      'Use server-side: auto (the default: it applies such a chart client-side, as Helm 3 does) or server-side: false, and report the bug to the chart.'
    );
  }
  return undefined;
}

/** What ended a helm command that changes the release. */
export interface HelmEnding {
  /** The findings fail-fast stopped helm for. */
  stoppedFor?: Finding[];
  /** The job was cancelled while helm ran. */
  cancelled: boolean;
  stderr: string;
}

// helm's words when its --timeout ran out: Helm 3.17 and 4.1 end the wait (and
// a hook's) with the context's error, older Helm 3 and the legacy waiter say
// "timed out waiting for the condition". Not an HTTP client's own timeout
// ("context deadline exceeded (Client.Timeout exceeded …)": the API server did
// not answer), nor a field name such as timeoutSeconds in a validation error.
const HELM_TIMED_OUT =
  /context deadline exceeded(?! \(Client\.Timeout)|timed out waiting for the condition/;

/** Why helm failed, before the pods are looked at: from its error, never from the rest of its output. */
export function helmFailureReason(ending: HelmEnding): FailureReason {
  if (ending.stoppedFor) return primaryReason(ending.stoppedFor, 'helm-error');
  if (ending.cancelled) return 'cancelled';
  return HELM_TIMED_OUT.test(helmErrorText(ending.stderr)) ? 'timeout' : 'helm-error';
}

/** Did helm fail because another deploy of the release is working on it? */
export function isConcurrentDeploy(stderr: string): boolean {
  return /another operation \(install\/upgrade\/rollback\) is in progress|release: already exists|cannot re-use a name/.test(
    stderr,
  );
}
