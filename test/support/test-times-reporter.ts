// A node:test reporter that writes, at the end of a run, one JSON document:
// the counts, every test's duration and each failed test's error, so
// test/run-tests.ts can print the totals of several runs, the slowest tests
// across them, and the failures again at the end, where a cut log still has them.
import { relative } from 'node:path';

export interface TestTimes {
  passed: number;
  failed: number;
  skipped: number;
  tests: { file: string; name: string; ms: number }[];
  /** Each failed test's error, its last lines (an assertion may carry a whole action log). */
  failures: { file: string; name: string; error: string }[];
}

const FAILURE_LINES = 60;

interface TestEvent {
  type: string;
  data: {
    name: string;
    file?: string;
    skip?: boolean | string;
    todo?: boolean | string;
    details?: { duration_ms?: number; type?: string; error?: Error & { cause?: unknown } };
  };
}

export default async function* testTimes(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const times: TestTimes = { passed: 0, failed: 0, skipped: 0, tests: [], failures: [] };
  const filesWithFailedTests = new Set<string | undefined>();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    // Suites and the per-file wrappers are not tests of their own; one that
    // failed with no failed test in it (a hook, a crash) counts as a failure.
    if (
      data.details?.type === 'suite' ||
      data.file === undefined ||
      data.name.endsWith('.test.ts')
    ) {
      if (event.type === 'test:fail' && !filesWithFailedTests.has(data.file)) {
        times.failed += 1;
        filesWithFailedTests.add(data.file);
      }
      continue;
    }
    if (event.type === 'test:fail') filesWithFailedTests.add(data.file);
    if (data.skip || data.todo) times.skipped += 1;
    else if (event.type === 'test:pass') times.passed += 1;
    else times.failed += 1;
    // test/run-tests.ts runs node's test runner in the repository root.
    const file = relative(process.cwd(), data.file);
    times.tests.push({ file, name: data.name, ms: data.details?.duration_ms ?? 0 });
    if (event.type === 'test:fail')
      times.failures.push({ file, name: data.name, error: lastLines(data.details?.error) });
  }
  yield `${JSON.stringify(times)}\n`;
}

/** The error node:test wraps (its cause is the test's own): its message's last lines, and where. */
function lastLines(error: (Error & { cause?: unknown }) | undefined): string {
  const own = error?.cause instanceof Error ? error.cause : error;
  if (!own) return '(no error given)';
  const message = own.message.split('\n').slice(-FAILURE_LINES).join('\n');
  const where = own.stack?.split('\n').find((line) => /^\s+at /.test(line));
  return `${own.name}: ${message}${where ? `\n${where}` : ''}`;
}
