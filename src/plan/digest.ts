import { createHash } from 'node:crypto';
import { parseManifest } from '../kube/manifest.js';
import { isRecord } from '../yaml.js';

// The plan digest: a sha256 of exactly what a deploy would apply, so a deploy
// given the digest of the reviewed plan can refuse anything else. It is the
// digest of its parts (stored in the plan file), so a mismatch can say which
// part moved. Pure.

/** Bumped when what the digest covers changes, so an old digest never matches by accident. */
const FORMAT = 'lily-deploy plan 1';

export interface DigestInput {
  /** The rendered manifest, as helm would apply it. */
  manifest: string;
  chartVersion: string;
  /** The user-supplied values. */
  values: Record<string, unknown>;
  /** The live release's revision the plan is made against; undefined when there is none. */
  liveRevision: number | undefined;
}

/** The digest's parts: the short ones as they are, the others as their own digests. */
export interface DigestParts {
  chartVersion: string;
  /** Null when planned as a first install. */
  liveRevision: number | null;
  /** `sha256:<hex>` of the normalised manifest. */
  manifest: string;
  /** `sha256:<hex>` of the values. */
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

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** The manifest's objects, whatever their order, comments and empty documents. */
function manifestDigest(manifest: string): string {
  const objects = parseManifest(manifest)
    .map((o) => canonicalJson(o.body))
    .sort();
  return sha256(`[${objects.join(',')}]`);
}

export function digestParts(input: DigestInput): DigestParts {
  return {
    chartVersion: input.chartVersion,
    liveRevision: input.liveRevision ?? null,
    manifest: manifestDigest(input.manifest),
    values: sha256(canonicalJson(input.values)),
  };
}

/** The digest of a plan from its parts. */
export function partsDigest(parts: DigestParts): string {
  return sha256(`${FORMAT}\n${canonicalJson(parts)}`);
}

/** `sha256:<hex>` of exactly what would be applied. */
export function planDigest(input: DigestInput): string {
  return partsDigest(digestParts(input));
}

/**
 * Undefined when what a deploy is about to apply is what was planned (the
 * digest matches); else why not, naming what changed since the plan when the
 * plan's parts are known (from its plan file).
 */
export function digestMismatch(
  expected: string,
  input: DigestInput,
  planned?: DigestParts,
): string | undefined {
  const parts = digestParts(input);
  const actual = partsDigest(parts);
  if (actual === expected) return undefined;
  const head = `The plan-digest ${expected} does not match what this deploy would apply (${actual})`;
  if (!planned || partsDigest(planned) !== expected)
    return `${head}. The plan's parts are not known here, so what changed since the plan cannot be named. Plan again and review it.`;
  const changed = changedParts(planned, parts);
  return `${head}: since the plan, ${changed.join('; ')}. Plan again and review it.`;
}

function changedParts(planned: DigestParts, now: DigestParts): string[] {
  const revision = (r: number | null) => (r === null ? 'no release' : `revision ${r}`);
  const changed = [
    planned.chartVersion !== now.chartVersion &&
      `the chart version changed (${planned.chartVersion} → ${now.chartVersion})`,
    planned.values !== now.values && 'the values changed',
    planned.manifest !== now.manifest && 'the rendered manifest changed',
    planned.liveRevision !== now.liveRevision &&
      `the live release moved (planned against ${revision(planned.liveRevision)}, now ${revision(now.liveRevision)})`,
  ].filter((part): part is string => part !== false);
  return changed.length > 0 ? changed : ['the digest format changed'];
}
