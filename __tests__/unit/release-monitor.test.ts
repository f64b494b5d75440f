import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod, StatefulSet } from '../../src/kube/types.js';
import { isOfThisRevision, isSuperseded } from '../../src/deploy/release-monitor.js';

const START = Date.parse('2026-11-21T12:00:00Z');
const set = (updateRevision: string, observed = true): StatefulSet => ({
  metadata: { name: 'sts', generation: 2 },
  status: { observedGeneration: observed ? 2 : 1, updateRevision },
});
const pod = (hash: string, created: string, owner = 'sts'): Pod => ({
  metadata: {
    name: 'sts-0',
    creationTimestamp: created,
    labels: { 'controller-revision-hash': hash },
    ownerReferences: owner ? [{ kind: 'StatefulSet', name: owner }] : [],
  },
});

describe('which pods decide the deploy', () => {
  it("a StatefulSet's pod at its update revision does; one at an older revision does not", () => {
    assert.ok(
      isOfThisRevision(
        pod('new', '2026-11-21T12:00:03Z'),
        { startedAt: START },
        [set('new')],
        START + 5000,
      ),
    );
    assert.ok(
      !isOfThisRevision(
        pod('old', '2026-11-21T12:00:03Z'),
        { startedAt: START },
        [set('new')],
        START + 5000,
      ),
    );
  });
  it('an unchanged pod older than the deploy does, once helm had time to apply the spec', () => {
    const unchanged = pod('same', '2026-11-21T11:00:00Z');
    assert.ok(!isOfThisRevision(unchanged, { startedAt: START }, [set('same')], START + 3000));
    assert.ok(isOfThisRevision(unchanged, { startedAt: START }, [set('same')], START + 15_000));
  });
  it('nothing is judged before the controller has seen the new spec', () => {
    assert.ok(
      !isOfThisRevision(
        pod('new', '2026-11-21T12:00:03Z'),
        { startedAt: START },
        [set('new', false)],
        START + 30_000,
      ),
    );
  });
  it('a pod of another kind of workload does when this deploy created it', () => {
    assert.ok(
      isOfThisRevision(
        pod('x', '2026-11-21T12:00:01Z', ''),
        { startedAt: START },
        [],
        START + 2000,
      ),
    );
    assert.ok(
      !isOfThisRevision(
        pod('x', '2026-11-21T11:00:00Z', ''),
        { startedAt: START },
        [],
        START + 60_000,
      ),
    );
  });
  it('a pod there before the deploy is not its own, however close the clocks put it, when the pods before were read', () => {
    // A cancelled run's pod, made 2 s before this deploy; helm has not applied the new spec yet.
    const cancelledRuns = {
      ...pod('same', '2026-11-21T11:59:58Z'),
      metadata: { ...pod('same', '2026-11-21T11:59:58Z').metadata, uid: 'u-1' },
    };
    const before = new Set(['u-1']);
    assert.ok(isOfThisRevision(cancelledRuns, { startedAt: START }, [set('same')], START + 3000));
    assert.ok(
      !isOfThisRevision(cancelledRuns, { startedAt: START, before }, [set('same')], START + 3000),
    );
    assert.ok(
      isOfThisRevision(cancelledRuns, { startedAt: START, before }, [set('same')], START + 15_000),
    );
    const ours = { ...cancelledRuns, metadata: { ...cancelledRuns.metadata, uid: 'u-2' } };
    assert.ok(isOfThisRevision(ours, { startedAt: START, before }, [set('same')], START + 3000));
  });
  it('a pod is superseded when its StatefulSet has moved to another revision', () => {
    assert.ok(isSuperseded(pod('old', '2026-11-21T11:00:00Z'), [set('new')]));
    assert.ok(!isSuperseded(pod('new', '2026-11-21T11:00:00Z'), [set('new')]));
    assert.ok(!isSuperseded(pod('old', '2026-11-21T11:00:00Z'), [set('new', false)]));
  });
});
