// Kubernetes resource quantities ("31000m", "254Gi", "1.5", "2e9") as numbers,
// and back to the short forms people write. Pure.

const SUFFIXES: Record<string, number> = {
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The quantity as a number (cores, bytes); undefined when it is not one. */
export function parseQuantity(text: unknown): number | undefined {
  if (typeof text === 'number') return text;
  if (typeof text !== 'string') return undefined;
  const match =
    /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(
      text.trim(),
    );
  if (!match) return undefined;
  return Number(match[1]) * (SUFFIXES[match[2] ?? ''] as number);
}

/** CPU cores as people write them: 31, 0.5. */
export function formatCpu(cores: number): string {
  return String(Math.round(cores * 1000) / 1000);
}

/** Bytes in the largest binary unit that keeps a short number: 254Gi, 512Mi. */
export function formatMemory(bytes: number): string {
  for (const unit of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki']) {
    const size = SUFFIXES[unit] as number;
    if (bytes >= size) return `${Math.round((bytes / size) * 10) / 10}${unit}`;
  }
  return String(bytes);
}
