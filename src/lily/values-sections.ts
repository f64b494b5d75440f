// Where the Lily chart keeps each workload's settings: the preflight, the
// Lily checks and the failure findings all name the values path to set.

/** The Lily chart's values section of a workload, from its name (`<short>-daemon` → daemon). */
export function lilyValuesSection(workloadName: string): string | undefined {
  const type = /-(daemon|notifier|worker)$/.exec(workloadName)?.[1];
  if (!type) return undefined;
  return type === 'daemon' ? 'daemon' : `cluster.${type}`;
}
