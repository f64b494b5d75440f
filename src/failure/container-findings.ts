import type { ContainerStatus, Pod } from '../kube/types.js';
import type { ClassifyOptions, Finding } from './finding.js';

// What a pod's containers say: crash loops, images that cannot be pulled,
// Secrets that are missing.

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
    crashLoopFinding(seen, status, options.restartThreshold) ??
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
  seen: ContainerSeen,
  status: ContainerStatus,
  restartThreshold: number,
): Finding | undefined {
  const restarts = status.restartCount ?? 0;
  const last = status.lastState?.terminated;
  // Between two restarts a crash-looping container shows as running for a
  // moment: many restarts after failed runs, and not ready, is the same loop.
  const failedOften = restarts >= restartThreshold && (last?.exitCode ?? 0) !== 0 && !status.ready;
  if (seen.reason !== 'CrashLoopBackOff' && !failedOften) return undefined;
  const exit = last
    ? `; last exit code ${last.exitCode ?? '?'}${last.reason ? ` (${last.reason})` : ''}`
    : '';
  return {
    reason: 'crash-loop',
    pod: seen.pod,
    container: seen.container,
    fatal: restarts >= restartThreshold,
    summary: `${seen.where} is crash-looping${seen.reason ? ` (${seen.reason})` : ''}: restarted ${restarts} time(s)${exit}`,
    remedy: crashRemedy(seen.container, last?.reason),
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

function crashRemedy(container: string, lastReason?: string): string {
  if (lastReason === 'OOMKilled') {
    return `The ${container} container ran out of memory: raise its resources.limits.memory.`;
  }
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
