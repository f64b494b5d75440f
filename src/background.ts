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
