import type { Change, ObjectChange, RedactedDiff } from './diff.js';
import type { FieldChange } from './redact.js';
import { formatDigest, type PlanDigest } from '../plan-digest.js';

// The plan file: the whole plan as JSON (the `plan` output points to it), made
// only of redacted texts (diff.ts). Pure.

export const PLAN_FILE_VERSION = 1;

/** Whether the API server checked the planned objects (a server-side dry run), and if not, why. */
export type Validation = { serverSide: true } | { serverSide: false; reason: string };

export interface PlanFile {
  version: typeof PLAN_FILE_VERSION;
  release: string;
  namespace: string;
  /** The chart as given (a name in the repository, an oci:// reference, a path). */
  chart: string;
  chartVersion: string;
  /** The live revision planned against; null for a first install. */
  liveRevision: number | null;
  /** What a deploy is given as plan-digest to apply exactly this plan. */
  digest: string;
  parts: PlanDigest;
  validation: Validation;
  counts: Record<Change, number>;
  /** Every object of the new and the previous release, in the plan's order. */
  changes: ObjectChange[];
  /** The user-supplied values, live → planned, redacted; empty when alike. */
  valuesDiff: string;
  /** The user-supplied values that change, by hash. */
  valuesFieldChanges: FieldChange[];
  /** What the plan could not see, and what that means for it. */
  notes: string[];
  /** Set when the changes are those a deploy made: the revision it made. */
  applied?: number;
}

export interface PlanFileInput {
  release: string;
  namespace: string;
  chart: string;
  parts: PlanDigest;
  validation: Validation;
  changes: ObjectChange[];
  /** The user-supplied values' diff (valuesDiff); none for a deploy's changes. */
  values?: RedactedDiff;
  notes?: string[];
  applied?: number;
}

export function createPlanFile(input: PlanFileInput): PlanFile {
  const counts: Record<Change, number> = { added: 0, changed: 0, removed: 0, unchanged: 0 };
  for (const c of input.changes) counts[c.change] += 1;
  return {
    version: PLAN_FILE_VERSION,
    release: input.release,
    namespace: input.namespace,
    chart: input.chart,
    chartVersion: input.parts.chartVersion,
    liveRevision: input.parts.liveRevision,
    digest: formatDigest(input.parts),
    parts: input.parts,
    validation: input.validation,
    counts,
    changes: input.changes,
    valuesDiff: input.values?.diff ?? '',
    valuesFieldChanges: input.values?.fieldChanges ?? [],
    notes: input.notes ?? [],
    ...(input.applied === undefined ? {} : { applied: input.applied }),
  };
}

/** The objects a deploy of the plan would add, change or remove: the `changes` output. */
export function changeCount(plan: PlanFile): number {
  return plan.counts.added + plan.counts.changed + plan.counts.removed;
}

export function planFileJson(plan: PlanFile): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
