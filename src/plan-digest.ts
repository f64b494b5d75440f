// The text of a plan digest (the plan-digest output and input): the chart
// version and live revision as they are, the values and the manifest as
// digests (plan/digest.ts computes them). Spelled out so that a deploy given
// only the digest can say which part moved since the plan. Imports nothing:
// the inputs check a given digest before anything runs.

/** Bumped when what the digest covers changes, so an old digest never matches by accident. */
const FORMAT = 'lily-plan-1';
/** Hex digits kept of each sha256: 128 bits, for review fidelity. */
export const DIGEST_HASH_HEX = 32;
const DIGEST = new RegExp(
  `^${FORMAT}:chart=([^,\\s]+),revision=(none|[1-9][0-9]*),values=([0-9a-f]{${DIGEST_HASH_HEX}}),manifest=([0-9a-f]{${DIGEST_HASH_HEX}})$`,
);

/** What a plan digest is made of. */
export interface PlanDigest {
  chartVersion: string;
  /** The live revision planned against; null when planned as a first install. */
  liveRevision: number | null;
  /** Hex sha256 (cut) of the user-supplied values. */
  values: string;
  /** Hex sha256 (cut) of the rendered manifest, normalised. */
  manifest: string;
}

/** How a digest is written, for the error about one that is not. */
export const DIGEST_SHAPE = `${FORMAT}:chart=<version>,revision=<number|none>,values=<hex>,manifest=<hex>, the plan-digest output of command: plan`;

/** `lily-plan-1:chart=0.1.5,revision=3,values=<hex>,manifest=<hex>`. */
export function formatDigest(digest: PlanDigest): string {
  const revision = digest.liveRevision ?? 'none';
  return `${FORMAT}:chart=${digest.chartVersion},revision=${revision},values=${digest.values},manifest=${digest.manifest}`;
}

/** The parts of a digest this version writes; undefined for any other text. */
export function parseDigest(text: string): PlanDigest | undefined {
  const match = DIGEST.exec(text.trim());
  if (!match) return undefined;
  const [, chartVersion = '', revision = '', values = '', manifest = ''] = match;
  return {
    chartVersion,
    liveRevision: revision === 'none' ? null : Number(revision),
    values,
    manifest,
  };
}
