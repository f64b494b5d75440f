// A node:test reporter that writes, at the end of a run, one JSON document:
// the counts and every test's duration, so test/run-tests.ts can print the
// totals of several runs and the slowest tests across them.
import { relative } from 'node:path';

export interface TestTimes {
  passed: number;
  failed: number;
  skipped: number;
  tests: { file: string; name: string; ms: number }[];
}

interface TestEvent {
  type: string;
  data: {
    name: string;
    file?: string;
    skip?: boolean | string;
    todo?: boolean | string;
    details?: { duration_ms?: number; type?: string };
  };
}

export default async function* testTimes(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const times: TestTimes = { passed: 0, failed: 0, skipped: 0, tests: [] };
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
    times.tests.push({
      // test/run-tests.ts runs node's test runner in the repository root.
      file: relative(process.cwd(), data.file),
      name: data.name,
      ms: data.details?.duration_ms ?? 0,
    });
  }
  yield `${JSON.stringify(times)}\n`;
}
