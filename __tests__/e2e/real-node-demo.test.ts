// `npm run demo` on the real node (its default where the machine allows one):
// the same code as the command, on the suite's real node. A newcomer sees
// Lily's real start-up lines, rows counted in a real Postgres, the outputs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runDemo } from '../../test/support/demo.js';
import { uniqueName, useE2E } from '../../test/support/e2e.js';
import { REAL_NODE as node, SKIP as skip } from '../../test/support/real-node.js';

describe('npm run demo on the real node', { skip }, () => {
  const env = useE2E({ realNode: true });

  it('deploys Lily on a real kubelet: its start-up log lines, rows in Postgres, the outputs', async () => {
    if (typeof node === 'string') return;
    const namespace = uniqueName('rn-demo');
    const demo = await runDemo({
      scenario: 'healthy',
      kubeconfigPath: env.e2e.kubeconfigPath,
      mirror: env.e2e.mirror,
      repo: env.e2e.repo,
      namespace,
      node,
      print: () => {},
    });
    assert.equal(demo.result.exitCode, 0, demo.result.log);
    assert.ok(demo.ok, demo.problem);
    const printed = demo.printed.join('\n');
    assert.match(printed, /test\/fixtures\/values\/real-node\.yaml +the fake lily's image/);
    assert.match(printed, /^ {2}status = deployed$/m);
    // Lily's own lines, from the real containers.
    assert.match(printed, /^ {2}--- init-datastore\n(.*\n)*? {2}\*\*\* Importing snapshot\.\.\./m);
    assert.match(printed, /^ {2}--- init-sync\n(.*\n)*?.*Done!$/m);
    assert.match(
      printed,
      /^ {2}--- daemon\n(.*\n)*? {2}\{"level":"info".*"logger":"lily\/schedule"/m,
    );
    // Rows counted in Postgres, as printed.
    const rows = /SELECT count\(\*\) FROM lily\.block_headers -> (\d+) row\(s\)/.exec(printed);
    assert.ok(rows, printed);
    assert.equal(Number(rows[1]), demo.rows);
    assert.ok((demo.rows ?? 0) >= 3);
    assert.doesNotMatch(printed, /demo p@ssword/, 'the password is masked');
    assert.doesNotMatch(printed, /kwok plays the node/);
    for (const hint of demo.hints) await env.kube.run(hint.kubectl);
  });
});
