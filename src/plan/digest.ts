import { createHash } from 'node:crypto';
import { parseManifest } from '../kube/manifest.js';
import { DIGEST_HASH_HEX, formatDigest, type PlanDigest } from '../plan-digest.js';
import { isRecord } from '../yaml.js';

// The plan digest of exactly what a deploy would apply (its text: see
// plan-digest.ts), so a deploy given the digest of the reviewed plan can
// refuse anything else and name what moved. Pure.

export interface DigestInput {
  /** The rendered manifest, as helm would apply it. */
  manifest: string;
  chartVersion: string;
  /** The user-supplied values. */
  values: Record<string, unknown>;
  /** The live release's revision the plan is made against; undefined when there is none. */
  liveRevision: number | undefined;
}

/** JSON with every map's keys in order: the same data always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const entries = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, DIGEST_HASH_HEX);
}

/** The manifest's objects, whatever their order, comments and empty documents. */
function manifestHash(manifest: string): string {
  const objects = parseManifest(manifest)
    .map((o) => canonicalJson(o.body))
    .sort();
  return hash(`[${objects.join(',')}]`);
}

export function digestParts(input: DigestInput): PlanDigest {
  return {
    chartVersion: input.chartVersion,
    liveRevision: input.liveRevision ?? null,
    manifest: manifestHash(input.manifest),
    values: hash(canonicalJson(input.values)),
  };
}

export function planDigest(input: DigestInput): string {
  return formatDigest(digestParts(input));
}

/**
 * Undefined when what a deploy is about to apply is what was planned; else
 * why not, naming each part that changed since the plan.
 */
export function digestMismatch(planned: PlanDigest, input: DigestInput): string | undefined {
  const now = digestParts(input);
  const changed = changedParts(planned, now);
  if (changed.length === 0) return undefined;
  return (
    `This deploy would not apply the reviewed plan (plan-digest ${formatDigest(planned)}; now ${formatDigest(now)}): ` +
    `since the plan, ${changed.join('; ')}. Plan again and review it.`
  );
}

function changedParts(planned: PlanDigest, now: PlanDigest): string[] {
  const revision = (r: number | null) => (r === null ? 'no release' : `revision ${r}`);
  return [
    planned.chartVersion !== now.chartVersion &&
      `the chart version changed (${planned.chartVersion} → ${now.chartVersion})`,
    planned.values !== now.values && 'the values changed',
    planned.manifest !== now.manifest && 'the rendered manifest changed',
    planned.liveRevision !== now.liveRevision &&
      `the live release moved (planned against ${revision(planned.liveRevision)}, now ${revision(now.liveRevision)})`,
  ].filter((part): part is string => part !== false);
}
