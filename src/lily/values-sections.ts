// Where the Lily chart keeps each workload's settings: the preflight, the
// Lily checks and the failure findings all name the values path to set.

/** The Lily chart's values section of a workload, from its name (`<short>-daemon` → daemon). */
export function lilyValuesSection(workloadName: string): string | undefined {
  const type = /-(daemon|notifier|worker)$/.exec(workloadName)?.[1];
  if (!type) return undefined;
  return type === 'daemon' ? 'daemon' : `cluster.${type}`;
}

// The published chart sizes its init containers itself (sentinel-lily.resources
// with a fixed dict): no value changes them (lily-runtime.md §5).
const FIXED_INIT_MEMORY: Record<string, string> = {
  'init-datastore': '16Gi',
  'init-sync': '16Gi',
  'init-database': '1Gi',
  'init-redis': '1Gi',
};

/** Where the memory limit of a Lily init container comes from, when the chart fixes it. */
export function lilyInitMemoryNote(container: string): string | undefined {
  const fixed = FIXED_INIT_MEMORY[container];
  return fixed
    ? `the published Lily chart sets ${container}'s limit itself (${fixed}, requests = limits): no value changes it, so raise it with a post-renderer or a fork of the chart, or give the work less to do (a smaller snapshot, a datastore that keeps its import)`
    : undefined;
}
