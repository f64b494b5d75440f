// `npm test`: unit, integration and end-to-end tests with node's test runner.
// The end-to-end tests share one cluster, started here (the control plane is
// built first if it is not cached) and stopped at the end, also on failure.
// With E2E_KUBECONFIG set, that cluster is used instead.
//
//   tsx test/run-tests.ts [unit|integration|e2e ...]   (default: all three)
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, type Cluster } from './cluster/cluster.js';
import { REPO_ROOT } from './support/cache.js';
import { useScratchTmpdir } from './support/scratch.js';

const SUITES = ['unit', 'integration', 'e2e'] as const;
type Suite = (typeof SUITES)[number];

const asked = process.argv.slice(2);
const unknown = asked.filter((s) => !(SUITES as readonly string[]).includes(s));
if (unknown.length > 0) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; choose from ${SUITES.join(', ')}`);
  process.exit(2);
}
const suites: Suite[] = asked.length > 0 ? (asked as Suite[]) : [...SUITES];

const files = suites.flatMap((suite) => {
  const dir = join(REPO_ROOT, '__tests__', suite);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => join(dir, f));
});

const scratch = useScratchTmpdir('lily-deploy-test-');
let cluster: Cluster | undefined;
let exitCode: number;
try {
  const env = { ...process.env };
  if (suites.includes('e2e')) {
    cluster = await startCluster({
      log: (line) => {
        console.log(`[cluster] ${line}`);
      },
    });
    console.log(`e2e tests run against: ${cluster.description}`);
    env.E2E_KUBECONFIG = cluster.kubeconfig;
  }
  exitCode = await runNodeTests(files, env);
} finally {
  await cluster?.stop();
  scratch.remove();
}
process.exit(exitCode);

function runNodeTests(testFiles: string[], env: NodeJS.ProcessEnv): Promise<number> {
  // Files run one at a time: the e2e files share a cluster, and the machine has 2 cores.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', ...testFiles],
    {
      cwd: REPO_ROOT,
      env,
      stdio: 'inherit',
    },
  );
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}
