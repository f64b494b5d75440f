import type { ContainerState, ContainerStatus, Pod } from './types.js';

/** A pod's status in one word, as kubectl's STATUS column shows it. */
export function podStatusWord(pod: Pod): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  const inits = pod.status?.initContainerStatuses ?? [];
  const pendingInit = inits.findIndex((s) => s.state?.terminated?.exitCode !== 0);
  if (pendingInit !== -1) {
    // A real kubelet leaves a failed init container terminated between restarts.
    const { waiting, terminated } = inits[pendingInit]?.state ?? {};
    if (terminated) return `Init:${terminated.reason ?? `ExitCode:${terminated.exitCode ?? '?'}`}`;
    return waiting?.reason && waiting.reason !== 'PodInitializing'
      ? `Init:${waiting.reason}`
      : `Init:${pendingInit}/${inits.length}`;
  }
  for (const status of pod.status?.containerStatuses ?? []) {
    const reason = status.state?.waiting?.reason ?? status.state?.terminated?.reason;
    if (reason) return reason;
  }
  return pod.status?.reason ?? pod.status?.phase ?? 'Unknown';
}

/** Is the pod's Ready condition true? */
export function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * One line per pod: `name status ready restarts`, for the progress log;
 * restarts of init containers count, as in kubectl's RESTARTS column.
 */
export function podProgressLine(pod: Pod): string {
  const containers = pod.status?.containerStatuses ?? [];
  const ready = containers.filter((c) => c.ready).length;
  const restarts = [...(pod.status?.initContainerStatuses ?? []), ...containers].reduce(
    (sum, c) => sum + (c.restartCount ?? 0),
    0,
  );
  return `${pod.metadata.name}  ${podStatusWord(pod)}  ready ${ready}/${containers.length || pod.spec?.containers?.length || 0}  restarts ${restarts}`;
}

/** Phase, conditions and every container's state, as plain lines. */
export function describePod(pod: Pod): string[] {
  const lines = [
    `Pod ${pod.metadata.name}: ${pod.status?.phase ?? 'Unknown'}${pod.spec?.nodeName ? ` on node ${pod.spec.nodeName}` : ''}${
      pod.status?.message ? ` (${pod.status.message})` : ''
    }`,
  ];
  const conditions = (pod.status?.conditions ?? []).map(
    (c) =>
      `${c.type}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`,
  );
  if (conditions.length > 0) lines.push(`  conditions: ${conditions.join(', ')}`);
  const describe = (kind: string, status: ContainerStatus) => {
    const last = status.lastState?.terminated ? `; last: ${stateText(status.lastState)}` : '';
    lines.push(
      `  ${kind} ${status.name}: ${stateText(status.state)}, restarts ${status.restartCount ?? 0}${last}`,
    );
  };
  for (const status of pod.status?.initContainerStatuses ?? []) describe('init container', status);
  for (const status of pod.status?.containerStatuses ?? []) describe('container', status);
  return lines;
}

function stateText(state: ContainerState | undefined): string {
  if (state?.waiting)
    return `waiting (${[state.waiting.reason, state.waiting.message].filter(Boolean).join(': ')})`;
  if (state?.running) return `running since ${state.running.startedAt ?? '?'}`;
  if (state?.terminated) {
    const t = state.terminated;
    return `terminated (${t.reason ?? 'exit'}, exit code ${t.exitCode ?? '?'}${t.message ? `: ${t.message}` : ''})`;
  }
  return 'no state yet';
}

/** A container's log to read: its current run's, or (`previous`) the run before. */
export interface LogToRead {
  container: string;
  previous: boolean;
  /** When the current run lies terminated: when it ended, as the pod's status says. */
  endedAt?: string;
}

/** Containers that have run at least once, so logs exist; `previous` when one restarted. */
export function containersWithLogs(pod: Pod): LogToRead[] {
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  return statuses.flatMap((s) => {
    const started = Boolean(s.state?.running ?? s.state?.terminated ?? s.lastState?.terminated);
    if (!started) return [];
    // A crash-looping container's current log is its last run's; --previous is the run before.
    const previous = (s.restartCount ?? 0) > 0 ? [{ container: s.name, previous: true }] : [];
    const endedAt = s.state?.terminated?.finishedAt;
    return [{ container: s.name, previous: false, ...(endedAt ? { endedAt } : {}) }, ...previous];
  });
}

/** How a container's run ended, as its status says. */
export type EndedRun = NonNullable<ContainerState['terminated']>;

/** A container's status by its name, init containers included. */
export function containerStatus(pod: Pod, container: string): ContainerStatus | undefined {
  return [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ].find((s) => s.name === container);
}

/** The run of a container that lies terminated, or the one before its restart. */
export function endedRun(pod: Pod, container: string): EndedRun | undefined {
  const status = containerStatus(pod, container);
  return status?.state?.terminated ?? status?.lastState?.terminated;
}

/**
 * A run of the container that lies terminated now and is not the one given
 * (whose log is then the container's current one), or undefined.
 */
export function laterRunEnded(
  pod: Pod,
  container: string,
  earlierContainerID: string | undefined,
): EndedRun | undefined {
  const terminated = containerStatus(pod, container)?.state?.terminated;
  return terminated?.containerID && terminated.containerID !== earlierContainerID
    ? terminated
    : undefined;
}
