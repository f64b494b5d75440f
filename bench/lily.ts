// The bench's cases on the real node (a real kubelet with the fake lily and a
// real TLS Postgres, test/cluster/real-node.ts): issue 23's three figures,
// each measured side by side in one run, on releases of the fixture chart
// deployed as the real-node tests deploy them (test/support/real-node-lily.ts).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { E2E, Kube } from '../test/support/e2e.js';
import { deploy, uniqueName } from '../test/support/e2e.js';
import {
  daemonPod,
  freshSchema,
  type LilyDatabase,
  realNodeInputs,
  watchJobValues,
} from '../test/support/real-node-lily.js';
import { createDatabase, type RealNodeInfo, writeSnapshot } from '../test/support/real-node.js';
import type { ActionResult } from '../test/support/runner.js';
import { median, record, recordRatio, round } from './figures.js';

const DB: LilyDatabase = { name: 'bench', role: 'lily_bench', password: 'bench p@ss:w/rd?#%+' };
/** The monitor's poll while helm waits (POLL_MS of src/deploy/monitored-run.ts). */
const POLL_S = 2;
const STALL_TIMEOUT_S = 10;
/** A synced Lily takes a head every 30 s, as mainnet: the window must hold one. */
const VERIFY_WINDOW_S = 35;

export interface LilyBench {
  e2e: E2E;
  kube: Kube;
  /** The real node, or why this run has none. */
  node: RealNodeInfo | string;
  /** Runs per figure (BENCH_RUNS); the deploys on the node, tens of seconds each, at most 3. */
  runs: number;
  /** A scratch directory of the run. */
  dir: string;
}

/** The three cases, each skipped with the reason where the run has no real node. */
export function lilyCases(bench: LilyBench) {
  const deploys = Math.min(bench.runs, 3);
  let prepared: Promise<void> | undefined;
  const onRealNode =
    (name: string, measure: (node: RealNodeInfo) => Promise<void>) => async (): Promise<void> => {
      const { node } = bench;
      if (typeof node === 'string') {
        console.log(`  ${name}: skipped, no real node: ${node}`);
        return;
      }
      prepared ??= createDatabase(node, DB.name, DB.role, DB.password).then(() => {
        writeSnapshot(node);
      });
      await prepared;
      await measure(node);
    };

  /** A release of the fixture chart on the real node, in a namespace (and schema) of its own. */
  const deployOnNode = async (
    node: RealNodeInfo,
    name: string,
    inputs: Record<string, string>,
    options: { fakeEnv?: Record<string, string>; onLog?: (line: string) => void } = {},
  ): Promise<{ result: ActionResult; namespace: string; release: string; exitAt: number }> => {
    const namespace = uniqueName(`bench-${name}`);
    const schema = namespace.replaceAll('-', '_');
    await freshSchema(node, DB, schema);
    const release = name;
    const result = await deploy(
      bench.e2e,
      4,
      {
        ...realNodeInputs(node, DB, { release, namespace, schema }),
        values: watchJobValues(options.fakeEnv),
        ...inputs,
      },
      { post: false, onLog: options.onLog },
    );
    return { result, namespace, release, exitAt: Date.now() };
  };

  const dropNamespace = (namespace: string) =>
    bench.kube.run(['delete', 'namespace', namespace, '--wait=false']);

  /**
   * A chain sync that stops advancing (the fake's LILY_FAKE_SYNC_STALL_AFTER)
   * with a short stall-timeout: from the moment the stall became detectable
   * (the last progress, by the kubelet's timestamp of the first `sync wait`
   * line showing the final height, plus stall-timeout) to the action's exit.
   */
  async function lilyStall(node: RealNodeInfo): Promise<void> {
    const gaps: number[] = [];
    for (let i = 0; i < deploys; i++) {
      const { result, namespace, release, exitAt } = await deployOnNode(
        node,
        'stall',
        { verify: 'false', timeout: '3m', 'stall-timeout': `${STALL_TIMEOUT_S}s` },
        { fakeEnv: { LILY_FAKE_SYNC_TIME: '60s', LILY_FAKE_SYNC_STALL_AFTER: '4s' } },
      );
      if (result.outputs['failure-reason'] !== 'lily-stalled')
        throw new Error(`expected lily-stalled:\n${result.log}`);
      const log = await bench.kube.run([
        'logs',
        daemonPod(release),
        '-c',
        'init-sync',
        '-n',
        namespace,
        '--timestamps',
      ]);
      const detectable = lastSyncProgressAt(log.stdout) + STALL_TIMEOUT_S * 1000;
      gaps.push((exitAt - detectable) / 1000);
      await dropNamespace(namespace);
    }
    console.log(`    each run: ${gaps.map((g) => g.toFixed(1)).join(', ')} s`);
    const gap = median(gaps);
    record({
      name: `Lily stall: stall detectable (last progress + stall-timeout ${STALL_TIMEOUT_S}s) → action exit (median of ${deploys})`,
      value: round(gap, 1),
      unit: 's',
      target: `≤ ${POLL_S + 5} s (poll ${POLL_S} s + 5 s)`,
      met: gap <= POLL_S + 5,
    });
  }

  /**
   * The same healthy deploy (a watch job into Postgres) with verify: true and
   * verify: false, alternating: what the verify window adds.
   */
  async function lilyVerify(node: RealNodeInfo): Promise<void> {
    const took = { on: [] as number[], off: [] as number[] };
    // In the log of a verified deploy: from the window's first line to the step's exit.
    const spans: number[] = [];
    for (let i = 0; i < deploys; i++) {
      // Which goes first alternates too: a drift of the machine falls on both.
      for (const verify of i % 2 ? [true, false] : [false, true]) {
        let verifyingAt = 0;
        const { result, namespace, exitAt } = await deployOnNode(
          node,
          verify ? 'verified' : 'unverified',
          { verify: String(verify), 'verify-window': `${VERIFY_WINDOW_S}s` },
          {
            onLog: (line) => {
              if (!verifyingAt && line.startsWith('Verifying for ')) verifyingAt = Date.now();
            },
          },
        );
        if (result.exitCode !== 0 || (verify && !result.log.includes("Verified: Lily's API")))
          throw new Error(`the deploy (verify: ${verify}) failed:\n${result.log}`);
        took[verify ? 'on' : 'off'].push(result.durationMs);
        if (verify) spans.push(exitAt - verifyingAt);
        await dropNamespace(namespace);
      }
    }
    console.log(
      `    verify: true ${took.on.join(', ')} ms; verify: false ${took.off.join(', ')} ms`,
    );
    const [on, off] = [median(took.on), median(took.off)];
    record({
      name: `deploy on the real node, verify: false (median of ${deploys})`,
      value: round(off),
      unit: 'ms',
      note: 'main step, a watch job into Postgres',
    });
    record({
      name: `deploy on the real node, verify: true, verify-window ${VERIFY_WINDOW_S}s (median of ${deploys})`,
      value: round(on),
      unit: 'ms',
    });
    record({
      name: 'verify adds (difference of the medians)',
      value: round((on - off) / 1000, 1),
      unit: 's',
      target: `≤ ${VERIFY_WINDOW_S + 2} s (verify-window + 2 s)`,
      met: on - off <= (VERIFY_WINDOW_S + 2) * 1000,
    });
    record({
      name: 'verify in the log: its first line → exit (median)',
      value: round(median(spans) / 1000, 1),
      unit: 's',
      note: 'the window, its reads and the report',
    });
  }

  /**
   * command: status of a healthy release against, alternating, what a user
   * would run by hand: `kubectl get pods` and one read-only call of Lily's
   * API through the pod proxy.
   */
  async function lilyStatus(node: RealNodeInfo): Promise<void> {
    const { result, namespace, release } = await deployOnNode(node, 'status', { verify: 'false' });
    if (result.exitCode !== 0) throw new Error(`the deploy failed:\n${result.log}`);
    const body = join(bench.dir, 'chain-head.json');
    await writeFile(body, '{"jsonrpc":"2.0","method":"Filecoin.ChainHead","params":[],"id":1}');
    const rpc = `/api/v1/namespaces/${namespace}/pods/${daemonPod(release)}:1234/proxy/rpc/v0`;
    const status = async () => {
      const run = await deploy(
        bench.e2e,
        4,
        { command: 'status', release, namespace, 'max-lag': '10m' },
        { post: false },
      );
      if (run.exitCode !== 0) throw new Error(`the status failed:\n${run.log}`);
      return run.durationMs;
    };
    const byHand = async () => {
      const t0 = performance.now();
      await bench.kube.run(['get', 'pods', '-n', namespace]);
      const head = await bench.kube.run(['create', '--raw', rpc, '-f', body]);
      if (!head.stdout.includes('"Height"')) throw new Error(`no chain head: ${head.stdout}`);
      return performance.now() - t0;
    };
    await status(); // not counted: a first run warms the page cache (the bundle, kubectl)
    const statuses: number[] = [];
    const hands: number[] = [];
    for (let i = 0; i < bench.runs; i++) {
      statuses.push(await status());
      hands.push(await byHand());
    }
    await dropNamespace(namespace);
    console.log(
      `    status ${statuses.join(', ')} ms; by hand ${hands.map(Math.round).join(', ')} ms`,
    );
    const [s, h] = [median(statuses), median(hands)];
    record({
      name: `command status of a healthy release (median of ${statuses.length})`,
      value: round(s),
      unit: 'ms',
      note: 'main step; status installs no helm (records in Secrets)',
    });
    record({
      name: 'kubectl get pods + one Filecoin.ChainHead through the pod proxy (median)',
      value: round(h),
      unit: 'ms',
    });
    recordRatio('status / (get pods + one API call)', s / h, 1.5, 2);
  }

  // Status first, on a node that no dropped release of the others still loads.
  return {
    lilyStatus: onRealNode('lilyStatus', lilyStatus),
    lilyStall: onRealNode('lilyStall', lilyStall),
    lilyVerify: onRealNode('lilyVerify', lilyVerify),
  };
}

/**
 * When `sync wait`'s height last changed, by the kubelet's timestamps
 * (`kubectl logs --timestamps`): the last progress the action can see in
 * init-sync (its marker there is the height and target).
 */
export function lastSyncProgressAt(log: string): number {
  let height: string | undefined;
  let changedAt = NaN;
  for (const line of log.split('\n')) {
    const m = /^(\S+) .*State: [^;]*; Current Epoch: (\d+);/.exec(line);
    if (!m || m[2] === height) continue;
    height = m[2];
    changedAt = Date.parse(m[1]!);
  }
  if (Number.isNaN(changedAt)) throw new Error(`no sync wait line in init-sync's log:\n${log}`);
  return changedAt;
}
