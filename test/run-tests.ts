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
// integration and e2e files run side by side, at most LILY_DEPLOY_TEST_LANES
// (default 3) at once, each e2e file against a local cluster of its own lane
// (test/support/cluster-lanes.ts), started here and stopped at the end, also
// on failure. With E2E_KUBECONFIG set, that one cluster is used instead and the
// e2e files run one at a time. The end prints the totals and the slowest tests.
//
// An e2e file whose name starts with `real-node` runs on lane 0, which then
// also has the real node (test/cluster/real-node.ts); where the machine cannot
// run one, those files skip, unless LILY_DEPLOY_REQUIRE_REAL_NODE=1 (CI), which
// makes that an error.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startCluster, type Cluster } from './cluster/cluster.js';
import { REPO_ROOT } from './support/cache.js';
import { useScratchTmpdir } from './support/scratch.js';
import type { TestTimes } from './support/test-times-reporter.js';

const SUITES = ['unit', 'integration', 'e2e'] as const;
type Suite = (typeof SUITES)[number];

/**
 * The files that take longest start first, so that the last to finish is a
 * short one. Minutes on a quiet 2-core machine; a file not listed counts as 1.
 */
const EXPECTED_MINUTES: Record<string, number> = {
  // First, while lane 0 (the one with the real node) is still free.
  'real-node.test.ts': 6,
  'real-node-phases.test.ts': 3,
  'act.test.ts': 5,
  'failures.test.ts': 4,
  'published-chart.test.ts': 3,
  'lock.test.ts': 3,
  'plan.test.ts': 2.5,
  'security.test.ts': 2.5,
  'credentials.test.ts': 2,
  'sweep.test.ts': 2,
  'preview.test.ts': 2,
  'deploy.test.ts': 2,
  'helm-install.test.ts': 1.5,
};

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
const unitFiles = filesOf('unit').sort();
const e2eFiles = filesOf('e2e');
const sideBySide = [...filesOf('integration'), ...e2eFiles].sort(
  (a, b) => expectedMinutes(b) - expectedMinutes(a) || a.localeCompare(b),
);
if (unitFiles.length + sideBySide.length === 0) {
  console.error(`no test file matches ${fileFilters.join(', ')} in ${suites.join(', ')}`);
  process.exit(2);
}

const scratch = useScratchTmpdir('lily-deploy-test-');
const started = Date.now();
const clusters: Cluster[] = [];
const times: TestTimes[] = [];
let exitCode = 0;
try {
  if (unitFiles.length > 0) {
    exitCode ||= await runNodeTests(unitFiles, { isolation: 'none' }, process.env);
  }
  if (sideBySide.length > 0) {
    const env = { ...process.env };
    let concurrency = Math.max(1, Number(process.env.LILY_DEPLOY_TEST_LANES ?? 3));
    if (e2eFiles.length > 0 && process.env.E2E_KUBECONFIG) {
      concurrency = 1;
      console.log(`e2e tests run against E2E_KUBECONFIG=${process.env.E2E_KUBECONFIG}`);
      if (process.env.LILY_DEPLOY_REQUIRE_REAL_NODE) {
        throw new Error(
          'LILY_DEPLOY_REQUIRE_REAL_NODE is set, but E2E_KUBECONFIG has no real node',
        );
      }
    } else if (e2eFiles.length > 0) {
      // No more files at once than lanes: one that starts always finds one free.
      const realNode = e2eFiles.some((f) => /^real-node/.test(f.split('/').at(-1) ?? ''));
      clusters.push(...(await startLaneClusters(Math.min(concurrency, e2eFiles.length), realNode)));
      concurrency = clusters.length;
      env.E2E_LANES = clusters.map((c) => c.kubeconfig).join('\n');
      const node = clusters[0]?.realNode;
      if (node && 'skipped' in node) env.E2E_REAL_NODE_SKIPPED = node.skipped;
      else if (node) env.E2E_REAL_NODE = JSON.stringify(node);
      env.E2E_LANE_LOCKS = join(scratch.dir, 'lanes');
      mkdirSync(env.E2E_LANE_LOCKS);
    }
    exitCode ||= await runNodeTests(sideBySide, { concurrency }, env);
  }
} finally {
  await Promise.all(clusters.map((c) => c.stop()));
  report();
  scratch.remove();
}
process.exit(exitCode);

function expectedMinutes(file: string): number {
  return EXPECTED_MINUTES[file.split('/').at(-1) ?? ''] ?? 1;
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

function runNodeTests(
  files: string[],
  mode: { isolation: 'none' } | { concurrency: number },
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const timesFile = join(scratch.dir, `times-${times.length}-${Date.now()}.json`);
  const args = [
    '--import',
    'tsx',
    '--test',
    'isolation' in mode ? '--test-isolation=none' : `--test-concurrency=${mode.concurrency}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(REPO_ROOT, 'test', 'support', 'test-times-reporter.ts')}`,
    `--test-reporter-destination=${timesFile}`,
    ...namePatterns.map((p) => `--test-name-pattern=${p}`),
    ...files,
  ];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: 'inherit' });
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      try {
        times.push(JSON.parse(readFileSync(timesFile, 'utf8')) as TestTimes);
      } catch {
        // The runner died before its reporter wrote: the exit code says so.
      }
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

/** The slowest tests and the totals of every run, last, where a reader looks. */
function report(): void {
  const all = times.flatMap((t) => t.tests);
  if (all.length === 0) return;
  const slowest = [...all].sort((a, b) => b.ms - a.ms).slice(0, 10);
  console.log('\nSlowest tests:');
  for (const t of slowest) {
    console.log(`  ${(t.ms / 1000).toFixed(1).padStart(6)} s  ${t.file} › ${t.name}`);
  }
  const sum = (key: 'passed' | 'failed' | 'skipped') => times.reduce((n, t) => n + t[key], 0);
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`\nFinished in ${Math.floor(seconds / 60)} min ${seconds % 60} s`);
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
