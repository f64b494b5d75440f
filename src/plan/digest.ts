import { createHash } from 'node:crypto';
import { parseManifest } from '../kube/manifest.js';
import { isRecord } from '../yaml.js';

// The plan digest: exactly what a deploy would apply, so a deploy given the
// digest of the reviewed plan can refuse anything else. It spells out its
// parts (chart version, live revision, digests of the values and of the
// manifest) instead of hashing them once more: a deploy in another job or
// workflow, which has only the digest, can then say which part moved. Pure.

/** Bumped when what the digest covers changes, so an old digest never matches by accident. */
const FORMAT = 'lily-plan-1';
/** 128 bits of sha256: review fidelity, not a password hash. */
const HASH_HEX = 32;
const DIGEST = new RegExp(
  `^${FORMAT}:chart=([^,\\s]+),revision=(none|[1-9][0-9]*),values=([0-9a-f]{${HASH_HEX}}),manifest=([0-9a-f]{${HASH_HEX}})$`,
);

export interface DigestInput {
  /** The rendered manifest, as helm would apply it. */
  manifest: string;
  chartVersion: string;
  /** The user-supplied values. */
  values: Record<string, unknown>;
  /** The live release's revision the plan is made against; undefined when there is none. */
  liveRevision: number | undefined;
}

/** What a digest is made of: the short parts as they are, the others as their own digests. */
export interface DigestParts {
  chartVersion: string;
  /** Null when planned as a first install. */
  liveRevision: number | null;
  /** Hex sha256 (cut) of the normalised manifest. */
  manifest: string;
  /** Hex sha256 (cut) of the values. */
  values: string;
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
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_HEX);
}

/** The manifest's objects, whatever their order, comments and empty documents. */
function manifestHash(manifest: string): string {
  const objects = parseManifest(manifest)
    .map((o) => canonicalJson(o.body))
    .sort();
  return hash(`[${objects.join(',')}]`);
}

export function digestParts(input: DigestInput): DigestParts {
  return {
    chartVersion: input.chartVersion,
    liveRevision: input.liveRevision ?? null,
    manifest: manifestHash(input.manifest),
    values: hash(canonicalJson(input.values)),
  };
}

/** `lily-plan-1:chart=0.1.5,revision=3,values=<hex>,manifest=<hex>`. */
export function formatDigest(parts: DigestParts): string {
  const revision = parts.liveRevision ?? 'none';
  return `${FORMAT}:chart=${parts.chartVersion},revision=${revision},values=${parts.values},manifest=${parts.manifest}`;
}

export function planDigest(input: DigestInput): string {
  return formatDigest(digestParts(input));
}

/** The parts of a digest this version makes; undefined for any other text. */
export function parseDigest(text: string): DigestParts | undefined {
  const match = DIGEST.exec(text.trim());
  if (!match) return undefined;
  const [, chartVersion, revision, values, manifest] = match as unknown as string[];
  return {
    chartVersion: chartVersion!,
    liveRevision: revision === 'none' ? null : Number(revision),
    values: values!,
    manifest: manifest!,
  };
}

/** How to write a digest, for the error on one that is not. */
export const DIGEST_SHAPE = `${FORMAT}:chart=<version>,revision=<number|none>,values=<hex>,manifest=<hex> (the plan-digest output of command: plan)`;

/**
 * Undefined when what a deploy is about to apply is what was planned; else
 * why not, naming each part that changed since the plan.
 */
export function digestMismatch(planned: DigestParts, input: DigestInput): string | undefined {
  const now = digestParts(input);
  const changed = changedParts(planned, now);
  if (changed.length === 0) return undefined;
  return (
    `This deploy would not apply the reviewed plan (plan-digest ${formatDigest(planned)}; now ${formatDigest(now)}): ` +
    `since the plan, ${changed.join('; ')}. Plan again and review it.`
  );
}

function changedParts(planned: DigestParts, now: DigestParts): string[] {
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
