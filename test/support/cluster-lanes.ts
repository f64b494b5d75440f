// The e2e files run side by side, each against a cluster of its own for as
// long as it runs: test/run-tests.ts starts one cluster per lane and node's
// test runner runs at most that many e2e files at once, so a file that starts
// always finds a free lane. A file holds its lane from its first use of the
// cluster until its process exits; what it does to the cluster (node labels,
// extra nodes, cluster-wide reads) never meets another file's work.
//
//   E2E_KUBECONFIG       one cluster for every file (a cluster of your own)
//   E2E_LANES            the lanes' kubeconfig paths, one a line, and
//   E2E_LANE_LOCKS       the directory where a file marks the lane it holds
//   E2E_REAL_NODE        JSON of the real node beside lane 0's kwok nodes
//                        (test/cluster/real-node.ts), or
//   E2E_REAL_NODE_SKIPPED  why there is none
//
// A file that needs the real node takes lane 0, waiting while another file
// holds it; the other files take lane 0 last, so they seldom stand in its way.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from './exec.js';

let held: string | undefined;

/** The kubeconfig path of this test process's cluster (with `realNode`, lane 0's). */
export async function clusterKubeconfig(options: { realNode?: boolean } = {}): Promise<string> {
  const single = process.env.E2E_KUBECONFIG;
  if (single) return single;
  const lanes = (process.env.E2E_LANES ?? '').split('\n').filter(Boolean);
  const locks = process.env.E2E_LANE_LOCKS;
  if (lanes.length === 0 || !locks) {
    throw new Error(
      'Neither E2E_KUBECONFIG nor E2E_LANES is set: run the e2e tests with `npm run test:e2e` (test/run-tests.ts)',
    );
  }
  if (held !== undefined) return held;
  const hold = (i: number): string => {
    const lock = join(locks, `lane-${i}`);
    held = lanes[i] ?? '';
    process.on('exit', () => {
      rmSync(lock, { recursive: true, force: true });
    });
    return held;
  };
  if (options.realNode) {
    // Lane 0 frees up when its file ends; files last minutes, not hours.
    const deadline = Date.now() + 30 * 60_000;
    while (!takeLock(join(locks, 'lane-0'))) {
      if (Date.now() > deadline) throw new Error(`lane 0 (the real node's) stayed held (${locks})`);
      await new Promise((r) => setTimeout(r, 500));
    }
    return hold(0);
  }
  const order = [...lanes.keys()].slice(1).concat(0);
  for (const i of order) {
    if (takeLock(join(locks, `lane-${i}`))) return hold(i);
  }
  throw new Error(
    `All ${lanes.length} cluster lanes are held (${locks}): more e2e files run at once than there are clusters`,
  );
}

/** mkdir is atomic: the one that makes the directory holds the lane; a dead holder's lane is taken over. */
function takeLock(lock: string): boolean {
  try {
    mkdirSync(lock);
  } catch {
    // No pid yet: its holder is between mkdir and writing it.
    const holder = holderOf(lock);
    if (holder === undefined || isAlive(holder)) return false;
    rmSync(lock, { recursive: true, force: true });
    try {
      mkdirSync(lock);
    } catch {
      return false;
    }
  }
  writeFileSync(join(lock, 'pid'), String(process.pid));
  return true;
}

function holderOf(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
