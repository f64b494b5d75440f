// `npm test`: unit, integration and end-to-end tests with node's test runner.
// The end-to-end tests share one cluster, started here (the control plane is
// built first if it is not cached) and stopped at the end, also on failure.
// With E2E_KUBECONFIG set, that cluster is used instead.
//
//   tsx test/run-tests.ts [unit|integration|e2e ...] [FILE ...] [--name PATTERN]
//
// Suites default to all three. A FILE argument (a test file's path or a part of
// its name, e.g. `lock` or `__tests__/e2e/lock.test.ts`) keeps only the files
// that match; `--name PATTERN` runs only the tests whose name matches (node's
// --test-name-pattern).
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, type Cluster } from './cluster/cluster.js';
import { REPO_ROOT } from './support/cache.js';
import { useScratchTmpdir } from './support/scratch.js';

const SUITES = ['unit', 'integration', 'e2e'] as const;
type Suite = (typeof SUITES)[number];

const { suites, fileFilters, namePatterns } = parseArguments(process.argv.slice(2));

const files = suites.flatMap((suite) => {
  const dir = join(REPO_ROOT, '__tests__', suite);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => join(dir, f))
    .filter((f) => fileFilters.length === 0 || fileFilters.some((part) => f.includes(part)));
});
if (files.length === 0) {
  console.error(`no test file matches ${fileFilters.join(', ')} in ${suites.join(', ')}`);
  process.exit(2);
}

const scratch = useScratchTmpdir('lily-deploy-test-');
let cluster: Cluster | undefined;
let exitCode: number;
try {
  const env = { ...process.env };
  if (files.some((f) => f.startsWith(join(REPO_ROOT, '__tests__', 'e2e')))) {
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
    [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=1',
      ...namePatterns.map((p) => `--test-name-pattern=${p}`),
      ...testFiles,
    ],
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
  const suites = asked.length > 0 ? asked : [...SUITES];
  return { suites, fileFilters, namePatterns };
}
