import * as core from '@actions/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { classify } from '../failure/classify.js';
import type { Finding } from '../failure-reason.js';
import { podReport } from '../failure/diagnostics.js';
import type { PodReport } from '../failure/report.js';
import type { ReleaseStore } from '../helm/release-store.js';
import type { KubeApi } from '../kube/api.js';
import type { Kubectl } from '../kube/kubectl.js';
import type { KubeEvent, Pod, StatefulSet } from '../kube/types.js';
import { podProgressLine } from '../kube/pod-status.js';
import { getStatefulSets, listReleaseEvents, listReleasePods } from '../kube/release-objects.js';
import { type Workload, workloadsInManifest } from '../kube/release-workloads.js';
import { describeRemedy, remediesFor } from './remediation.js';
import type { StartupWatch } from './startup-watch.js';

// Before this long, a pod created before the deploy may still be about to be
// replaced: helm may not have applied the new spec yet.
const APPLY_SETTLE_MS = 10_000;
// A few seconds of slack for the clock difference with the API server.
const CLOCK_SLACK_MS = 5000;
// How long the sweep after helm gave up waits for the StatefulSet controller
// to catch up with the new spec (it takes milliseconds when it is not busy).
const SWEEP_OBSERVE_MS = 5000;
const SWEEP_OBSERVE_POLL_MS = 200;

interface Observation {
  pods: Pod[];
  sets: StatefulSet[];
  events: KubeEvent[];
  now: number;
}

export interface MonitorOptions {
  release: string;
  namespace: string;
  /** The revision helm is deploying; its manifest names the workloads. */
  revision: number;
  /** When the deploy started. */
  startedAt: number;
  /**
   * The uids of the namespace's pods before helm ran: a pod not among them
   * is this deploy's. Without them, a pod created since startedAt (less a
   * few seconds for the clocks) is.
   */
  podsBefore?: Promise<Set<string>>;
  /** Judge pods and report fatal findings (fail-fast). */
  failFast: boolean;
  remediate: boolean;
  restartThreshold: number;
  /** Log lines kept per container of a pod reported before it is deleted. */
  logLines: number;
  /** Multi-Attach, unbound-PVC and provisioning failures count as fatal only after lasting this long. */
  graceMs: number;
  /** An unschedulable pod counts as fatal after this long without a scale-up. */
  unschedulableGraceMs: number;
  /** init-database with no answer from the database counts as fatal after this long. */
  databaseTimeoutMs: number;
  databaseTimeout: string;
  pollMs: number;
  progressMs: number;
  /** The release's Lily start-up, whose deadlines follow its progress (with or without fail-fast). */
  startup?: StartupWatch;
}

/**
 * Watches the release's pods and events while helm works, and:
 * - prints progress, so the log is never silent;
 * - replaces broken pods of a superseded StatefulSet revision, which the
 *   StatefulSet controller never does by itself (Kubernetes documents this as
 *   the manual step of a "forced rollback"), so neither an upgrade nor helm's
 *   atomic rollback waits on them;
 * - with fail-fast, calls onFatal once when a pod of this revision is stuck
 *   for good, after trying the remedies `remediate` allows.
 */
export class ReleaseMonitor {
  workloads: Workload[] = [];
  /** Every change made in the cluster besides helm's, one line each. */
  readonly interventions: string[] = [];
  /** The pods deleted, as they were just before: the evidence of what failed. */
  readonly deletedPods: PodReport[] = [];
  private fatalReported = false;
  private readonly remedied = new Set<string>();
  private readonly replaced = new Set<string>();
  private lastProgress = Date.now();
  private lastPollError: string | undefined;

  constructor(
    private readonly api: KubeApi,
    private readonly releases: ReleaseStore,
    private readonly kubectl: Kubectl,
    private readonly options: MonitorOptions,
    private readonly onFatal: (findings: Finding[]) => void,
  ) {}

  /** Polls until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    for (;;) {
      try {
        await sleep(this.options.pollMs, undefined, { signal });
      } catch {
        return; // aborted
      }
      try {
        await this.poll();
        this.lastPollError = undefined;
      } catch (err) {
        // A failed poll is not a failed deploy; the next one tries again.
        // Said once per distinct error, so a lasting one (a missing
        // permission) is visible without repeating every poll.
        const message = (err as Error).message;
        if (message !== this.lastPollError)
          core.info(`Watching the release's pods failed (helm goes on): ${message}`);
        this.lastPollError = message;
      }
    }
  }

  /**
   * One pass of replacing broken pods of a superseded revision, for after helm
   * gave up: Helm 4 fails an upgrade within a second on such a pod, sooner
   * than a poll comes, or while a poll replaces it. True when any was
   * replaced in this run, by this pass or a poll: helm judged a pod now gone.
   */
  async sweep(): Promise<boolean> {
    let seen = await this.observe();
    // Helm 4 can give up before the StatefulSet controller has read the new
    // spec; which pods are superseded is known only once it has.
    const until = Date.now() + SWEEP_OBSERVE_MS;
    while (seen && seen.sets.some((set) => !observed(set)) && Date.now() < until) {
      await sleep(SWEEP_OBSERVE_POLL_MS);
      seen = await this.observe();
    }
    if (seen) await this.replaceSuperseded(seen);
    return this.replaced.size > 0;
  }

  private async poll(): Promise<void> {
    const seen = await this.observe();
    if (!seen) return;
    await this.replaceSuperseded(seen);
    const { options } = this;
    const { pods, sets, events, now } = seen;
    const before = await options.podsBefore?.catch(() => undefined);
    const judged = pods.filter((pod) =>
      isOfThisRevision(pod, { startedAt: options.startedAt, before }, sets, now),
    );
    if (options.failFast && !this.fatalReported) {
      const findings = classify(judged, events, this.classifyOptions(now));
      if (findings.some((f) => f.fatal) && !(await this.tryRemedies(findings, pods))) {
        this.fatalReported = true;
        this.onFatal(findings);
        return;
      }
    }
    if (options.startup && !this.fatalReported) {
      const verdict = await options.startup.poll(judged, now);
      if (verdict.kind !== 'wait') {
        this.fatalReported = true;
        this.onFatal(options.startup.findings(verdict, now));
        return;
      }
    }
    if (now - this.lastProgress >= options.progressMs) {
      this.lastProgress = now;
      core.info(progressReport(pods));
    }
  }

  /** The release's pods, StatefulSets and events now; undefined until its workloads are known. */
  private async observe(): Promise<Observation | undefined> {
    const { options } = this;
    if (this.workloads.length === 0) {
      const manifest = await this.releases.manifest(
        options.release,
        options.namespace,
        options.revision,
      );
      this.workloads = manifest ? workloadsInManifest(manifest) : [];
      if (this.workloads.length === 0) return undefined;
    }
    const [pods, sets] = await Promise.all([
      listReleasePods(this.api, options.namespace, this.workloads),
      getStatefulSets(this.api, options.namespace, this.workloads),
    ]);
    const events = await listReleaseEvents(this.api, options.namespace, this.workloads, pods);
    return { pods, sets, events, now: Date.now() };
  }

  private async replaceSuperseded({ pods, sets, events, now }: Observation): Promise<void> {
    const broken = classify(pods, events, { ...this.classifyOptions(now), restartThreshold: 1 });
    const names = new Set(broken.map((f) => f.pod));
    for (const pod of pods.filter((p) => names.has(p.metadata.name) && isSuperseded(p, sets))) {
      await this.replace(pod);
    }
  }

  private classifyOptions(now: number) {
    const { options } = this;
    return {
      namespace: options.namespace,
      restartThreshold: options.restartThreshold,
      graceMs: options.graceMs,
      unschedulableGraceMs: options.unschedulableGraceMs,
      databaseTimeoutMs: options.databaseTimeoutMs,
      databaseTimeout: options.databaseTimeout,
      now,
    };
  }

  /** Applies the remedies allowed for these findings; true when any was applied. */
  private async tryRemedies(findings: Finding[], pods: Pod[]): Promise<boolean> {
    if (!this.options.remediate) return false;
    const remedies = remediesFor(findings, this.workloads, this.remedied);
    for (const remedy of remedies) {
      // --wait=false: a PVC stays Terminating until its pod is gone, which is the next delete.
      if (remedy.kind === 'delete-claims-and-pod') {
        await this.kubectl.deleteNow('pvc', remedy.claims, this.options.namespace);
      }
      const pod = pods.find((p) => p.metadata.name === remedy.pod);
      if (pod) await this.keepEvidence(pod);
      await this.kubectl.deleteNow('pod', [remedy.pod], this.options.namespace);
      this.remedied.add(remedy.pod);
      this.record(describeRemedy(remedy, this.options.namespace));
    }
    return remedies.length > 0;
  }

  private async replace(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid ?? pod.metadata.name;
    if (this.replaced.has(uid)) return;
    this.replaced.add(uid);
    await this.keepEvidence(pod);
    await this.kubectl.deleteNow('pod', [pod.metadata.name], this.options.namespace);
    this.record(
      `deleted broken pod ${this.options.namespace}/${pod.metadata.name} of a superseded StatefulSet revision, so that its StatefulSet recreates it from the current spec`,
    );
  }

  private async keepEvidence(pod: Pod): Promise<void> {
    this.deletedPods.push({
      ...(await podReport(this.api, this.options.namespace, pod, this.options.logLines)),
      deleted: true,
    });
  }

  private record(line: string): void {
    this.interventions.push(line);
    core.warning(line);
  }
}

function statefulSetOf(pod: Pod, sets: StatefulSet[]): StatefulSet | undefined {
  const owner = pod.metadata.ownerReferences?.find((ref) => ref.kind === 'StatefulSet');
  return owner && sets.find((s) => s.metadata.name === owner.name);
}

/** Has the controller seen the StatefulSet's current spec (so updateRevision is current)? */
function observed(set: StatefulSet): boolean {
  return (
    Boolean(set.status?.updateRevision) &&
    (set.status?.observedGeneration ?? 0) >= (set.metadata.generation ?? 0)
  );
}

/** A pod of a StatefulSet whose current spec is a different revision than the pod's. */
export function isSuperseded(pod: Pod, sets: StatefulSet[]): boolean {
  const set = statefulSetOf(pod, sets);
  if (!set || !observed(set)) return false;
  return pod.metadata.labels?.['controller-revision-hash'] !== set.status?.updateRevision;
}

/**
 * Does this pod decide the deploy? A StatefulSet's pod does when it runs the
 * set's update revision (an unchanged pod that keeps failing included); any
 * other pod when it was created by this deploy. A pod older than the deploy is
 * not judged until helm has had time to apply the new spec.
 */
export function isOfThisRevision(
  pod: Pod,
  deploy: { startedAt: number; before?: Set<string> },
  sets: StatefulSet[],
  now: number,
): boolean {
  // The pods there before are known exactly when they were read; else by clock.
  const createdByThisDeploy = deploy.before
    ? !deploy.before.has(pod.metadata.uid ?? '')
    : Date.parse(pod.metadata.creationTimestamp ?? '') >= deploy.startedAt - CLOCK_SLACK_MS;
  const set = statefulSetOf(pod, sets);
  if (!set) return createdByThisDeploy;
  if (!observed(set) || isSuperseded(pod, sets)) return false;
  return createdByThisDeploy || now - deploy.startedAt >= APPLY_SETTLE_MS;
}

function progressReport(pods: Pod[]): string {
  if (pods.length === 0) return "Waiting for the release's pods to be created…";
  return `Waiting for ${pods.length} pod(s):\n${pods.map((p) => `  ${podProgressLine(p)}`).join('\n')}`;
}
