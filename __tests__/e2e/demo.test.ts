// `npm run demo`'s scenarios (test/support/demo.ts), run on the suite's
// cluster: a change to the fixture chart, the README's values file or the
// action's inputs that breaks the demo fails here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEMO_FAILURE_REASON,
  type DemoResult,
  hintCommand,
  type DemoScenario,
  runDemo,
} from '../../test/support/demo.js';
import { uniqueName, useE2E } from '../../test/support/e2e.js';

const env = useE2E();

describe('npm run demo', () => {
  it("deploys with the README's values file, prints outputs and summary, and its hints name objects that exist", async () => {
    const namespace = uniqueName('demo');
    const demo = await demoOnSuiteCluster('healthy', namespace);
    assert.equal(demo.result.exitCode, 0, demo.result.log);
    assert.ok(demo.ok, demo.problem);
    const status = await env.kube.releaseStatus('lily', namespace);
    assert.equal(status?.status, 'deployed');
    assert.equal(status.revision, 1);

    const printed = demo.printed.join('\n');
    assert.match(printed, /examples\/lily-daemon-values\.yaml +the README's file/);
    assert.match(printed, /test\/fixtures\/values\/kwok-small\.yaml/);
    assert.match(printed, /^Outputs:\n {2}release = lily\n/m);
    assert.match(printed, /^ {2}status = deployed$/m);
    assert.match(printed, /^Job summary.*:\n### Lily deployed: `lily` in `demo-/m);
    assert.doesNotMatch(printed, /demo p@ssword/, 'the password is masked');

    // Read from the release, not written in the demo: the chart's workload and its pod.
    const kinds = new Set(demo.objects.map((o) => o.kind));
    assert.ok(kinds.has('StatefulSet') && kinds.has('Pod'), JSON.stringify(demo.objects));
    for (const o of demo.objects) {
      assert.ok(
        await env.kube.find(['get', o.kind, o.name, '-n', o.namespace]),
        `${o.kind}/${o.name}`,
      );
    }
    // Each hint, run as printed, works.
    assert.ok(demo.hints.some((h) => h.kubectl[0] === 'logs'));
    for (const hint of demo.hints) {
      assert.ok(printed.includes(`\n  ${hintCommand(hint)}   # `), hintCommand(hint));
      const { stdout } = await env.kube.run(hint.kubectl);
      assert.notEqual(stdout.trim(), '', hint.kubectl.join(' '));
    }
  });

  it('--failure: the chart defaults refused by the preflight as the demo promises, and explained', async () => {
    const namespace = uniqueName('demo-fail');
    const demo = await demoOnSuiteCluster('failure', namespace);
    assert.ok(demo.ok, demo.problem);
    assert.equal(demo.result.exitCode, 1, demo.result.log);
    assert.equal(demo.result.outputs['failure-reason'], DEMO_FAILURE_REASON);
    const printed = demo.printed.join('\n');
    assert.match(printed, /^ {2}failure-reason = lily-config$/m);
    assert.match(
      printed,
      /error: lily-deploy: lily-config\n {4}.*FilOps snapshot service, retired in 2024/,
    );
    assert.match(
      printed,
      /^Job summary.*:\n### Lily deploy failed: `lily` in `demo-fail-.*` \(lily-config\)/m,
    );
    assert.match(printed, /That is the failure this demo shows: failure-reason=lily-config/);
    assert.equal(await env.kube.releaseStatus('lily', namespace), undefined);
    assert.equal(await env.kube.find(['get', 'namespace', namespace]), undefined);
    for (const hint of demo.hints) await env.kube.run(hint.kubectl);
  });
});

/** The demo's scenario as `npm run demo` runs it, on this suite's cluster, printing nothing. */
function demoOnSuiteCluster(scenario: DemoScenario, namespace: string): Promise<DemoResult> {
  return runDemo({
    scenario,
    kubeconfigPath: env.e2e.kubeconfigPath,
    mirror: env.e2e.mirror,
    repo: env.e2e.repo,
    namespace,
    print: () => {},
  });
}
