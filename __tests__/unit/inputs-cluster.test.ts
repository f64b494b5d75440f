import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCluster } from '../../src/inputs/cluster.js';
import { parseGroup } from './fake-inputs.js';

const KUBECONFIG =
  'apiVersion: v1\nclusters: [{name: c, cluster: {server: "https://k"}}]\ncontexts: [{name: ctx, context: {cluster: c, user: u}}]\ncurrent-context: ctx\nusers: [{name: u, user: {token: canary-token-123}}]\n';

describe('parseCluster', () => {
  it('leaves the ambient kubeconfig alone when none is given', () => {
    assert.deepEqual(parseGroup(parseCluster, { 'kube-context': 'staging' }), {
      parsed: { kubeconfig: undefined, kubeContext: 'staging' },
      errors: [],
      secrets: [],
    });
  });

  it('decodes a base64 kubeconfig and masks the input, its text and each credential', () => {
    const given = Buffer.from(KUBECONFIG).toString('base64');
    assert.deepEqual(parseGroup(parseCluster, { kubeconfig: given }), {
      parsed: { kubeconfig: KUBECONFIG, kubeContext: undefined },
      errors: [],
      secrets: [given, KUBECONFIG, 'canary-token-123'],
    });
  });

  it('refuses text that is no kubeconfig, still masking it', () => {
    const { parsed, errors, secrets } = parseGroup(parseCluster, {
      kubeconfig: 'not a kubeconfig at all',
    });
    assert.equal(parsed.kubeconfig, undefined);
    assert.deepEqual(errors, [
      "Input 'kubeconfig' is neither kubeconfig YAML nor base64 of kubeconfig YAML",
    ]);
    assert.deepEqual(secrets, ['not a kubeconfig at all']);
  });

  it('names the contexts the kubeconfig defines when kube-context is not one of them', () => {
    const { errors } = parseGroup(parseCluster, { kubeconfig: KUBECONFIG, 'kube-context': 'prod' });
    assert.deepEqual(errors, [
      "Input 'kube-context' is 'prod', which the kubeconfig input does not define; it defines: ctx",
    ]);
  });
});
