// The job summary of a failed deploy: helm's error is never left out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Diagnostics, renderFailureSummary } from '../../src/failure/report.js';

const crashLoop = {
  reason: 'crash-loop' as const,
  pod: 'lily-0',
  fatal: true,
  summary: 'container daemon of pod lily-0 is crash-looping',
  remedy: 'read its log',
};

function diagnostics(over: Partial<Diagnostics>): Diagnostics {
  return {
    release: 'lily',
    namespace: 'indexer',
    failureReason: 'helm-error',
    collectedAt: '2026-01-01T00:00:00.000Z',
    collectionMs: 5,
    findings: [],
    interventions: [],
    notCollected: [],
    pods: [],
    events: [],
    releaseState: 'STATUS: failed',
    releaseHistory: '(no history)',
    ...over,
  };
}

describe('the failure summary', () => {
  it("leads with helm's error when helm failed by itself, the pods' findings as evidence", () => {
    const text = renderFailureSummary(
      diagnostics({
        helmError: 'Error: UPGRADE FAILED: StatefulSet.apps "lily" is invalid',
        findings: [crashLoop],
      }),
      '/tmp/d.json',
    );
    const [helm, evidence] = [
      text.indexOf('helm said:'),
      text.indexOf('Also seen in the pods (evidence, not the cause helm gave):'),
    ];
    assert.ok(helm > 0 && evidence > helm, text);
    assert.ok(text.includes('Error: UPGRADE FAILED: StatefulSet.apps "lily" is invalid'));
  });

  it("keeps helm's error beside the findings of a timeout", () => {
    const text = renderFailureSummary(
      diagnostics({
        failureReason: 'crash-loop',
        helmError: 'Error: UPGRADE FAILED: context deadline exceeded',
        findings: [crashLoop],
      }),
      '/tmp/d.json',
    );
    assert.ok(text.indexOf('- **crash-loop**') < text.indexOf("helm's own error:"), text);
    assert.ok(text.includes('Error: UPGRADE FAILED: context deadline exceeded'), text);
  });

  it('names what could not be collected, and why', () => {
    const text = renderFailureSummary(
      diagnostics({
        helmError: 'Error: INSTALLATION FAILED: boom',
        notCollected: ["the release's pods: HTTP 403: pods is forbidden"],
      }),
      '/tmp/d.json',
    );
    assert.ok(text.includes('Error: INSTALLATION FAILED: boom'));
    assert.match(text, /Not collected:\n\n- the release's pods: HTTP 403: pods is forbidden/);
  });
});
