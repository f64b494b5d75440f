// `npm test`: unit, integration and end-to-end tests with node's test runner.
//
//   tsx test/run-tests.ts [unit|integration|e2e ...] [FILE ...] [--name PATTERN]
//
// Suites default to all three. A FILE argument (a test file's path or a part of
// its name, e.g. `lock` or `__tests__/e2e/lock.test.ts`) keeps only the files
// that match; `--name PATTERN` runs only the tests whose name matches (node's
// --test-name-pattern).
//
// The unit files run first, in one process (a few seconds). Then the
// integration and e2e files run side by side, each file a node:test process of
// its own started here, longest expected first (EXPECTED_MINUTES):
//
// - an e2e file named real-node*.test.ts runs on lane 0, whose cluster also
//   has the real node (test/cluster/real-node.ts), beside the other real-node
//   files: at most LILY_DEPLOY_REAL_NODE_FILES (default 3) of them at once;
// - any other e2e file has the cluster of a lane to itself while it runs
//   (test/support/cluster-lanes.ts); LILY_DEPLOY_TEST_LANES (default 4)
//   clusters are started, and lane 0 takes such files only once the
//   real-node files are done, so they never wait behind real-node work;
// - an integration file needs no cluster and starts at once.
//
// With E2E_KUBECONFIG set, that one cluster is used instead and the files run
// one at a time. A file's output is printed whole when it ends (as it comes
// when it is the only file). The end prints the files' times, the slowest
// tests and the totals.
//
// Where the machine cannot run the real node, the real-node files skip,
// unless LILY_DEPLOY_REQUIRE_REAL_NODE=1 (CI), which makes that an error.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { startCluster, type Cluster } from './cluster/cluster.js';
import { REPO_ROOT } from './support/cache.js';
import { useScratchTmpdir } from './support/scratch.js';
import type { TestTimes } from './support/test-times-reporter.js';

const SUITES = ['unit', 'integration', 'e2e'] as const;
type Suite = (typeof SUITES)[number];

/**
 * The files that take longest start first, so that the last to finish is a
 * short one (the real-node files among themselves on lane 0). Minutes each
 * took in a whole run on 2 shared cores (the end of a run prints them; a
 * file of SPLIT_BY_MAJOR with its majors side by side); a file not listed
 * counts as 1.
 */
const EXPECTED_MINUTES: Record<string, number> = {
  'security.test.ts': 4.4,
  'failures.test.ts': 4.5,
  'published-chart.test.ts': 2.3,
  'credentials.test.ts': 3.6,
  'real-node-database.test.ts': 2.7,
  'real-node-startup.test.ts': 2,
  'real-node-verify.test.ts': 3.1,
  'real-node-status.test.ts': 1.5,
  'real-node-failures.test.ts': 1.3,
  'real-node-upgrade.test.ts': 1.1,
  'real-node-teardown.test.ts': 0.9,
  'real-node-demo.test.ts': 1.6,
  'real-node-phases.test.ts': 3.6,
  'lock.test.ts': 3.8,
  'preview.test.ts': 2.6,
  'act.test.ts': 3.6,
  'deploy.test.ts': 3.1,
  'plan.test.ts': 3.3,
  'verify.test.ts': 2.8,
  'helm-install.test.ts': 2.8,
  'sweep.test.ts': 2.2,
  'real-node.test.ts': 1.9,
  'demo.test.ts': 0.5,
  'lily-preflight.test.ts': 0.9,
};

/**
 * The longest kwok files, whose majors run side by side (runFile): each alone
 * would otherwise be most of a lane's time. Each test has namespaces and
 * release names of its own, so the majors share the lane's cluster (not
 * lock.test.ts: its tests gate pods with a label on every node).
 */
const SPLIT_BY_MAJOR = new Set([
  'security.test.ts',
  'failures.test.ts',
  'credentials.test.ts',
  'published-chart.test.ts',
  'preview.test.ts',
]);

const { suites, fileFilters, namePatterns } = parseArguments(process.argv.slice(2));
const filesOf = (suite: Suite) =>
  suites.includes(suite)
    ? readdirSync(join(REPO_ROOT, '__tests__', suite))
        .filter((f) => f.endsWith('.test.ts'))
        .map((f) => join(REPO_ROOT, '__tests__', suite, f))
        .filter((f) => {
          // Matched in the repository, so a checkout's own path matches nothing.
          const path = relative(REPO_ROOT, f);
          return fileFilters.length === 0 || fileFilters.some((part) => path.includes(part));
        })
    : [];
const longestFirst = (a: string, b: string) =>
  expectedMinutes(b) - expectedMinutes(a) || a.localeCompare(b);
const unitFiles = filesOf('unit').sort();
const integrationFiles = filesOf('integration').sort(longestFirst);
const e2eFiles = filesOf('e2e').sort(longestFirst);
if (unitFiles.length + integrationFiles.length + e2eFiles.length === 0) {
  console.error(`no test file matches ${fileFilters.join(', ')} in ${suites.join(', ')}`);
  process.exit(2);
}

const scratch = useScratchTmpdir('lily-deploy-test-');
const started = Date.now();
const clusters: Cluster[] = [];
const times: TestTimes[] = [];
const fileTimes: { file: string; where: string; ms: number }[] = [];
let exitCode = 0;
let processCount = 0;
try {
  if (unitFiles.length > 0) {
    exitCode ||= await runNodeTests(unitFiles, { isolation: 'none' }, process.env, 'inherit');
  }
  const sideBySide = integrationFiles.length + e2eFiles.length;
  if (sideBySide > 0 && process.env.E2E_KUBECONFIG) {
    if (e2eFiles.length > 0) {
      console.log(`e2e tests run against E2E_KUBECONFIG=${process.env.E2E_KUBECONFIG}`);
      if (process.env.LILY_DEPLOY_REQUIRE_REAL_NODE) {
        throw new Error(
          'LILY_DEPLOY_REQUIRE_REAL_NODE is set, but E2E_KUBECONFIG has no real node',
        );
      }
    }
    for (const file of [...integrationFiles, ...e2eFiles]) {
      exitCode ||= await runFile(file, 'the one cluster', process.env, sideBySide === 1);
    }
  } else if (sideBySide > 0) {
    const realNodeFiles = e2eFiles.filter(isRealNodeFile);
    const laneFiles = e2eFiles.filter((f) => !isRealNodeFile(f));
    const lanes = Math.max(1, Number(process.env.LILY_DEPLOY_TEST_LANES ?? 4));
    const count = Math.min(lanes, (realNodeFiles.length > 0 ? 1 : 0) + laneFiles.length);
    if (count > 0) clusters.push(...(await startLaneClusters(count, realNodeFiles.length > 0)));
    exitCode ||= await runSideBySide(
      { realNode: realNodeFiles, lane: laneFiles, noCluster: integrationFiles },
      sideBySide === 1,
    );
  }
} finally {
  await Promise.all(clusters.map((c) => c.stop()));
  report();
  scratch.remove();
}
process.exit(exitCode);

function expectedMinutes(file: string): number {
  return EXPECTED_MINUTES[basename(file)] ?? 1;
}

function isRealNodeFile(file: string): boolean {
  return /^real-node.*\.test\.ts$/.test(basename(file));
}

/**
 * Starts files as room frees up: the real-node files on lane 0 (up to their
 * bound), the other e2e files each on a free lane (lane 0 once the real-node
 * files are done), the integration files at once. Resolves with the first
 * failing exit code, or 0, once every file has ended.
 */
function runSideBySide(
  files: { realNode: string[]; lane: string[]; noCluster: string[] },
  stream: boolean,
): Promise<number> {
  const realNodeBound = Math.max(1, Number(process.env.LILY_DEPLOY_REAL_NODE_FILES ?? 3));
  const queue = {
    realNode: [...files.realNode],
    lane: [...files.lane],
    noCluster: [...files.noCluster],
  };
  const realNode = clusters[0]?.realNode;
  const realNodeEnv =
    realNode === undefined
      ? {}
      : 'skipped' in realNode
        ? { E2E_REAL_NODE_SKIPPED: realNode.skipped }
        : { E2E_REAL_NODE: JSON.stringify(realNode) };
  const freeLanes = clusters.map((_, i) => i).filter((i) => i > 0 || queue.realNode.length === 0);
  let realNodeRunning = 0;
  let running = 0;
  let code = 0;
  return new Promise((resolve) => {
    const start = (file: string, where: string, env: NodeJS.ProcessEnv, done: () => void) => {
      running += 1;
      void runFile(file, where, { ...process.env, ...env }, stream).then((c) => {
        code ||= c;
        running -= 1;
        done();
        fill();
      });
    };
    const fill = () => {
      while (queue.realNode.length > 0 && realNodeRunning < realNodeBound) {
        const file = queue.realNode.shift() ?? '';
        realNodeRunning += 1;
        start(file, 'lane 0', { E2E_LANE: clusters[0]?.kubeconfig, ...realNodeEnv }, () => {
          realNodeRunning -= 1;
          if (queue.realNode.length === 0 && realNodeRunning === 0) freeLanes.push(0);
        });
      }
      while (queue.lane.length > 0 && freeLanes.length > 0) {
        const file = queue.lane.shift() ?? '';
        const lane = freeLanes.shift() ?? 0;
        start(file, `lane ${lane}`, { E2E_LANE: clusters[lane]?.kubeconfig }, () => {
          freeLanes.push(lane);
        });
      }
      for (const file of queue.noCluster.splice(0)) start(file, 'no cluster', {}, () => {});
      if (running === 0) resolve(code);
    };
    fill();
  });
}

/**
 * One local cluster per lane: the first alone (it may build the binaries, and
 * hosts the real node), the others together.
 */
async function startLaneClusters(count: number, realNode: boolean): Promise<Cluster[]> {
  const start = (lane: number) =>
    startCluster({
      name: `lily-deploy-lane-${lane}`,
      realNode: realNode && lane === 0,
      log: (line) => {
        console.log(`[cluster ${lane}] ${line}`);
      },
    });
  const first = await start(0);
  if (first.realNode && 'skipped' in first.realNode && process.env.LILY_DEPLOY_REQUIRE_REAL_NODE) {
    await first.stop();
    throw new Error(
      `LILY_DEPLOY_REQUIRE_REAL_NODE is set, but the real node cannot run here: ${first.realNode.skipped}`,
    );
  }
  const others = await Promise.allSettled(
    Array.from({ length: count - 1 }, (_, i) => start(i + 1)),
  );
  const failed = others.find((o) => o.status === 'rejected');
  const ready = [first, ...others.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []))];
  if (failed) {
    await Promise.all(ready.map((c) => c.stop()));
    throw failed.reason;
  }
  console.log(`e2e tests run against ${ready.length} local clusters: ${first.description}, …`);
  return ready;
}

/**
 * One file in a node:test process of its own; its output whole at its end
 * unless `stream`. A file of SPLIT_BY_MAJOR (run whole, without --name) is
 * three processes on its lane: the tests that name no major, then its Helm 3
 * and Helm 4 tests side by side (test names say their major).
 */
async function runFile(
  file: string,
  where: string,
  env: NodeJS.ProcessEnv,
  stream: boolean,
): Promise<number> {
  const name = relative(REPO_ROOT, file);
  const fileStarted = Date.now();
  if (!stream) console.log(`▷ ${name} started (${where})`);
  const output = stream ? 'inherit' : 'buffer';
  const split = !stream && namePatterns.length === 0 && SPLIT_BY_MAJOR.has(basename(file));
  const run = (filter?: string[]) => runNodeTests([file], { concurrency: 1 }, env, output, filter);
  // The rest first: it may read the whole cluster ("no object changed"), which
  // the majors' namespaces, deleted as their processes end, would change.
  const codes = split
    ? [
        // Often no test at all: its process then never ends by itself (the
        // file's servers are left open), so it is ended when its tests are.
        await run(['--test-force-exit', '--test-skip-pattern=helm [34]\\b']),
        ...(await Promise.all([
          run(['--test-name-pattern=helm 3\\b']),
          run(['--test-name-pattern=helm 4\\b']),
        ])),
      ]
    : [await run()];
  const code = codes.find((c) => c !== 0) ?? 0;
  const ms = Date.now() - fileStarted;
  fileTimes.push({ file: name, where, ms });
  if (!stream) console.log(`◁ ${name} ended (${where}, ${formatMinutes(ms)}, exit ${code})\n`);
  return code;
}

function runNodeTests(
  files: string[],
  mode: { isolation: 'none' } | { concurrency: number },
  env: NodeJS.ProcessEnv,
  output: 'inherit' | 'buffer',
  filter: string[] = namePatterns.map((p) => `--test-name-pattern=${p}`),
): Promise<number> {
  const timesFile = join(scratch.dir, `times-${++processCount}-${basename(files[0] ?? '')}.json`);
  const args = [
    '--import',
    'tsx',
    '--test',
    'isolation' in mode ? '--test-isolation=none' : `--test-concurrency=${mode.concurrency}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(REPO_ROOT, 'test', 'support', 'test-times-reporter.ts')}`,
    `--test-reporter-destination=${timesFile}`,
    ...filter,
    ...files,
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env,
    stdio: output === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  });
  // stdout and stderr in the order they came, printed at once at the end.
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      if (chunks.length > 0) process.stdout.write(Buffer.concat(chunks));
      try {
        times.push(JSON.parse(readFileSync(timesFile, 'utf8')) as TestTimes);
      } catch {
        // The runner died before its reporter wrote: the exit code says so.
      }
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

function formatMinutes(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** The slowest tests and the totals of every run, last, where a reader looks. */
function report(): void {
  const all = times.flatMap((t) => t.tests);
  if (all.length === 0) return;
  if (fileTimes.length > 1) {
    // What EXPECTED_MINUTES is kept from.
    console.log('\nFiles, longest first:');
    for (const f of [...fileTimes].sort((a, b) => b.ms - a.ms)) {
      console.log(`  ${(f.ms / 60_000).toFixed(1).padStart(5)} min  ${f.file} (${f.where})`);
    }
  }
  const slowest = [...all].sort((a, b) => b.ms - a.ms).slice(0, 10);
  console.log('\nSlowest tests:');
  for (const t of slowest) {
    console.log(`  ${(t.ms / 1000).toFixed(1).padStart(6)} s  ${t.file} › ${t.name}`);
  }
  for (const f of times.flatMap((t) => t.failures)) {
    console.log(`\nFailed: ${f.file} › ${f.name}\n${f.error.replace(/^/gm, '  ')}`);
  }
  const sum = (key: 'passed' | 'failed' | 'skipped') => times.reduce((n, t) => n + t[key], 0);
  console.log(`\nFinished in ${formatMinutes(Date.now() - started)}`);
  console.log(`${sum('passed')} passed, ${sum('failed')} failed, ${sum('skipped')} skipped`);
}

function parseArguments(args: string[]): {
  suites: Suite[];
  fileFilters: string[];
  namePatterns: string[];
} {
  const asked: Suite[] = [];
  const fileFilters: string[] = [];
  const namePatterns: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--name') {
      const pattern = args[++i];
      if (!pattern) {
        console.error('--name needs a pattern, e.g. --name "lock-timeout"');
        process.exit(2);
      }
      namePatterns.push(pattern);
    } else if ((SUITES as readonly string[]).includes(arg)) {
      asked.push(arg as Suite);
    } else {
      fileFilters.push(arg.replace(/^\.\//, ''));
    }
  }
  return { suites: asked.length > 0 ? asked : [...SUITES], fileFilters, namePatterns };
}
