/**
 * Work started early and awaited later (the chart download while the cluster
 * is checked, say). Its rejection stays with it for whoever awaits it, where
 * it is reported; until then it is not an unhandled rejection, which would
 * end the process if the run failed on something else first.
 */
export function startedEarly<T>(work: Promise<T>): Promise<T> {
  work.catch(() => undefined);
  return work;
}

/**
 * `work` for every item, at most `limit` at a time, the results in the
 * items' order: side by side, without starting a hundred programs at once.
 */
export async function mapWithLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
