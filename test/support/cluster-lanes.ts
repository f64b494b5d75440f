// The e2e files run side by side, each against the cluster of the lane
// test/run-tests.ts gives it when it starts the file:
//
//   E2E_KUBECONFIG         one cluster for every file (a cluster of your own)
//   E2E_LANE               the kubeconfig path of this file's lane
//   E2E_REAL_NODE          JSON of the real node beside lane 0's kwok nodes
//                          (test/cluster/real-node.ts), given only to the
//                          files named real-node*.test.ts, or
//   E2E_REAL_NODE_SKIPPED  why there is none
//
// A file named real-node*.test.ts runs on lane 0, beside the other real-node
// files (each test there keeps to its own namespace, release, database and
// schema). Any other e2e file has a lane to itself while it runs, so its node
// labels, extra nodes and cluster-wide reads never meet another file's work;
// lane 0 takes such files only once the real-node files are done.

/** The kubeconfig path of this test process's cluster. */
export function clusterKubeconfig(options: { realNode?: boolean } = {}): string {
  const single = process.env.E2E_KUBECONFIG;
  if (single) return single;
  const lane = process.env.E2E_LANE;
  if (!lane) {
    throw new Error(
      'Neither E2E_KUBECONFIG nor E2E_LANE is set: run the e2e tests with `npm run test:e2e` (test/run-tests.ts)',
    );
  }
  if (options.realNode && !process.env.E2E_REAL_NODE && !process.env.E2E_REAL_NODE_SKIPPED) {
    throw new Error(
      'This file asks for the real node, but only files named real-node*.test.ts run on its lane (test/run-tests.ts)',
    );
  }
  return lane;
}
