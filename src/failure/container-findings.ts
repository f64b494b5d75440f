import { lilyInitMemoryNote, lilyValuesSection } from '../lily/values-sections.js';
import { endedRun } from '../kube/pod-status.js';
import type { ContainerStatus, Pod } from '../kube/types.js';
import type { Finding } from '../failure-reason.js';
import type { ClassifyOptions } from './finding.js';

// What a pod's containers say: crash loops and OOM kills, images that cannot
// be pulled, Secrets that are missing.

const IMAGE_PULL = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull'];

export function containerFindings(pod: Pod, options: ClassifyOptions): Finding[] {
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  return statuses.flatMap((status) => {
    const finding = containerFinding(pod, status, options);
    return finding ? [finding] : [];
  });
}

function containerFinding(
  pod: Pod,
  status: ContainerStatus,
  options: ClassifyOptions,
): Finding | undefined {
  const waiting = status.state?.waiting;
  const seen: ContainerSeen = {
    pod: pod.metadata.name,
    container: status.name,
    where: `container ${status.name} of pod ${pod.metadata.name}`,
    reason: waiting?.reason ?? '',
    message: waiting?.message ?? '',
  };
  return (
    crashLoopFinding(pod, seen, status, options) ??
    imagePullFinding(seen, status.image ?? imageOf(pod, status.name)) ??
    missingSecretFinding(seen, options.namespace)
  );
}

/** A container as a finding names it, and why it is waiting. */
interface ContainerSeen {
  pod: string;
  container: string;
  where: string;
  reason: string;
  message: string;
}

function crashLoopFinding(
  pod: Pod,
  seen: ContainerSeen,
  status: ContainerStatus,
  options: ClassifyOptions,
): Finding | undefined {
  const restarts = status.restartCount ?? 0;
  if (!isCrashLooping(status, options)) return undefined;
  return crashFinding(pod, status, {
    fatal: restarts >= options.restartThreshold,
    what: `is crash-looping${seen.reason ? ` (${seen.reason})` : ''}: restarted ${restarts} time(s)`,
  });
}

/**
 * Is the container in a crash loop: CrashLoopBackOff, or restarts after
 * failed runs? On a real kubelet a container without a readiness probe is
 * Running and Ready for a moment after each start, and between two restarts
 * shows `terminated` (only the events say BackOff): from restartThreshold
 * restarts after failed runs it is the loop whatever the moment shows, unless
 * it has since run Ready a while.
 */
export function isCrashLooping(
  status: ContainerStatus,
  options: { restartThreshold: number; now: number },
): boolean {
  if (status.state?.waiting?.reason === 'CrashLoopBackOff') return true;
  return (
    (status.restartCount ?? 0) >= options.restartThreshold &&
    (status.lastState?.terminated?.exitCode ?? 0) !== 0 &&
    !hasRecovered(status, options.now)
  );
}

// Ready and running this long since its last start: earlier restarts are history.
const RECOVERED_AFTER_MS = 60_000;

function hasRecovered(status: ContainerStatus, now: number): boolean {
  const started = Date.parse(status.state?.running?.startedAt ?? '');
  return Boolean(status.ready) && now - started >= RECOVERED_AFTER_MS;
}

/** How the container's last run ended, for a person: `; last exit code 1 (Error)`; '' when none ended. */
export function lastExit(status: ContainerStatus): string {
  const ended = status.state?.terminated ?? status.lastState?.terminated;
  return ended
    ? `; last exit code ${ended.exitCode ?? '?'}${ended.reason ? ` (${ended.reason})` : ''}`
    : '';
}

/**
 * A container whose run failed, named by how it ended: `oom-killed` (with the
 * memory limit it had and the values that set it) or `crash-loop`. `what`
 * says what it did: `is crash-looping: restarted 3 time(s)`.
 */
export function crashFinding(
  pod: Pod,
  status: ContainerStatus,
  { fatal, what }: { fatal: boolean; what: string },
): Finding {
  const ended = status.state?.terminated ?? status.lastState?.terminated;
  const finding: Finding = {
    pod: pod.metadata.name,
    container: status.name,
    fatal,
    reason: 'crash-loop',
    summary: `container ${status.name} of pod ${pod.metadata.name} ${what}${lastExit(status)}`,
    remedy: crashRemedy(status.name),
  };
  // A real kubelet may report an OOM kill as `Error` with exit code 137 when
  // the run before it was OOMKilled: the same kill, seen late.
  const oomKilled =
    ended?.reason === 'OOMKilled' ||
    (ended?.exitCode === 137 && status.lastState?.terminated?.reason === 'OOMKilled');
  return oomKilled ? outOfMemory(finding, pod, status.name) : finding;
}

/**
 * Crash loops whose last run ended with exit code 137 (SIGKILL) and whose log
 * ends with the shell's `Killed`: a process of the container was killed while
 * its shell lived. Kubernetes stops whole containers (TERM first); the
 * kernel's OOM killer kills the biggest process at the memory limit, and
 * containerd reports that as `Error` when the exit reaches it before the OOM
 * event. Named `oom-killed`, saying why.
 */
export function withShellReportedKills(
  findings: Finding[],
  pods: Pod[],
  logsOf: (pod: string, container: string) => string[],
): Finding[] {
  return findings.map((finding) => {
    const pod = pods.find((p) => p.metadata.name === finding.pod);
    const { container } = finding;
    if (finding.reason !== 'crash-loop' || !pod || !container) return finding;
    if (endedRun(pod, container)?.exitCode !== 137) return finding;
    const [newest] = logsOf(pod.metadata.name, container);
    const lastLine = newest?.trimEnd().split('\n').at(-1)?.trim();
    return lastLine === 'Killed'
      ? outOfMemory(
          finding,
          pod,
          container,
          'its shell printed "Killed": a process of it was killed',
        )
      : finding;
  });
}

/** The crash finding named `oom-killed`; `seen`: why, where the runtime did not say OOMKilled. */
function outOfMemory(finding: Finding, pod: Pod, container: string, seen?: string): Finding {
  const memory = memoryLimit(pod, container);
  return {
    ...finding,
    reason: 'oom-killed',
    summary: `${finding.summary}: out of memory${seen ? ` (${seen})` : ''}, ${
      memory.limit
        ? `its limit is ${memory.limit}${memory.valuesPath ? ` (${memory.valuesPath})` : ''}`
        : 'it has no memory limit (the node ran out)'
    }`,
    remedy: !memory.limit
      ? `Give container ${container} a memory request and limit that fit its work, on nodes that have that much.`
      : memory.valuesPath
        ? `Raise ${memory.valuesPath} (${memory.limit} now) in your values, with the memory request beside it (the Lily chart sets requests = limits), or find what makes Lily use that much.`
        : `Raise the memory limit of container ${container} (${memory.limit} now): ${lilyInitMemoryNote(container) ?? "it is not one of the Lily chart's values"}.`,
  };
}

/** A container's memory limit from the pod spec, and the Lily chart value that sets it. */
function memoryLimit(pod: Pod, container: string): { limit?: string; valuesPath?: string } {
  const main = pod.spec?.containers?.find((c) => c.name === container);
  const spec = main ?? pod.spec?.initContainers?.find((c) => c.name === container);
  const owner = pod.metadata.ownerReferences?.[0]?.name;
  const section = main && owner ? lilyValuesSection(owner) : undefined;
  return {
    limit: spec?.resources?.limits?.memory,
    valuesPath: section && `${section}.resources.limits.memory`,
  };
}

function imagePullFinding(seen: ContainerSeen, image: string | undefined): Finding | undefined {
  if (!IMAGE_PULL.includes(seen.reason)) return undefined;
  return {
    reason: 'image-pull',
    pod: seen.pod,
    container: seen.container,
    fatal: true,
    summary: `${seen.where} cannot pull image ${image ?? 'its image'} (${seen.reason}${seen.message ? `: ${seen.message}` : ''})`,
    remedy:
      'Check image.repo and image.tag in your values (the tag must exist in the registry); for a private registry, add imagePullSecrets.',
  };
}

function missingSecretFinding(seen: ContainerSeen, namespace: string): Finding | undefined {
  if (seen.reason !== 'CreateContainerConfigError') return undefined;
  const secret = /secret "([^"]+)" not found/.exec(seen.message)?.[1];
  const key = /couldn't find key (\S+) in Secret (\S+)/.exec(seen.message);
  const what = secret
    ? `Secret ${secret} does not exist in namespace ${namespace}`
    : key
      ? `Secret ${key[2]} has no key ${key[1]}`
      : seen.message || 'a referenced Secret or ConfigMap is missing';
  return {
    reason: 'missing-secret',
    pod: seen.pod,
    container: seen.container,
    fatal: true,
    summary: `${seen.where} cannot start (CreateContainerConfigError): ${what}`,
    remedy:
      'Give the database inputs (database-url, or database-host/-name/-user/-password) so lily-deploy creates the Secret, ' +
      'or make secretName/secretKey of the storage entry name an existing Secret and key.',
  };
}

function crashRemedy(container: string): string {
  if (container === 'init-database') {
    return 'init-database checks the database schema and fails when it is not installed or the URL is wrong: check the database credentials, and run `lily migrate --schema <schema> --latest` once against the database.';
  }
  return `See the last log lines of ${container} below. For Lily the usual causes are wrong database credentials, a schema that is not migrated, or a bad configuration value.`;
}

function imageOf(pod: Pod, container: string): string | undefined {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
    (c) => c.name === container,
  )?.image;
}
