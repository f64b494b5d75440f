import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InputReader } from '../../src/inputs/reader.js';
import { type EventContext, parseTarget } from '../../src/inputs/target.js';
import { parseGroup } from './fake-inputs.js';

const PUSH = { eventName: 'push', payload: {} };

function pullRequest(action: string, number: number): EventContext {
  return {
    eventName: 'pull_request',
    payload: { action, number, pull_request: { number, head: { sha: 'abc' } } },
  };
}

function parseTargetOf(given: Record<string, string>, event: EventContext = PUSH) {
  return parseGroup((reader: InputReader) => parseTarget(reader, event), given);
}

describe('parseTarget', () => {
  it('deploys the release to the default namespace unless told otherwise', () => {
    assert.deepEqual(parseTargetOf({ release: 'lily-a' }), {
      parsed: {
        command: 'deploy',
        preview: undefined,
        release: 'lily-a',
        namespace: 'default',
        createNamespace: false,
        previewNamespace: false,
      },
      errors: [],
      secrets: [],
    });
  });

  it('names a preview after the pull request and creates its namespace', () => {
    const { parsed } = parseTargetOf(
      { release: 'lily', preview: 'true' },
      pullRequest('opened', 42),
    );
    assert.deepEqual(parsed, {
      command: 'deploy',
      preview: { number: 42, action: 'opened', headSha: 'abc' },
      release: 'lily-pr-42',
      namespace: 'lily-pr-42',
      createNamespace: true,
      previewNamespace: true,
    });
  });

  it('with shared-release, puts a short hash of the repository in both names, stable and apart', () => {
    const shared = (repository: string, number = 42) =>
      parseTargetOf(
        { release: 'lily', preview: 'true', 'shared-release': 'true' },
        { ...pullRequest('opened', number), repository },
      );
    const a = shared('octo/lily-infra');
    const b = shared('octo/lily-archive');
    assert.deepEqual(a.errors, []);
    assert.match(a.parsed.release, /^lily-[0-9a-f]{6}-pr-42$/);
    assert.equal(a.parsed.namespace, a.parsed.release);
    assert.notEqual(a.parsed.release, b.parsed.release, "two repositories' previews apart");
    assert.equal(shared('Octo/Lily-Infra').parsed.release, a.parsed.release, 'GitHub ignores case');
    assert.equal(shared('octo/lily-infra').parsed.release, a.parsed.release, 'the same every run');
    const long = parseTargetOf(
      { release: 'l'.repeat(53), preview: 'true', 'shared-release': 'true' },
      { ...pullRequest('opened', 123456), repository: 'octo/lily-infra' },
    ).parsed;
    assert.ok(long.release.length <= 53 && long.namespace.length <= 63);
    assert.match(long.release, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it('refuses shared-release without preview, without a repository, or with command sweep', () => {
    const given = { release: 'lily', 'shared-release': 'true' };
    assert.match(parseTargetOf(given).errors[0] ?? '', /shared-release.*set preview: true/);
    assert.match(
      parseTargetOf({ ...given, preview: 'true' }, pullRequest('opened', 1)).errors[0] ?? '',
      /shared-release.*GITHUB_REPOSITORY is empty/,
    );
    assert.match(
      parseTargetOf({ command: 'sweep', 'shared-release': 'true' }).errors[0] ?? '',
      /shared-release.*command sweep does not take/,
    );
  });

  it('uninstalls the preview of a closed pull request, in the namespace given', () => {
    const given = { release: 'lily', preview: 'true', namespace: 'previews' };
    const { parsed } = parseTargetOf(given, pullRequest('closed', 7));
    assert.equal(parsed.command, 'uninstall');
    assert.equal(parsed.release, 'lily-pr-7');
    assert.equal(parsed.namespace, 'previews');
    assert.equal(parsed.createNamespace, false, 'a namespace given is not created on demand');
  });

  it('plans, never uninstalls, when the command is plan, even on a closed pull request', () => {
    const given = { release: 'lily', preview: 'true', command: 'plan' };
    assert.equal(parseTargetOf(given, pullRequest('closed', 7)).parsed.command, 'plan');
  });

  it('reports each bad input, naming it, what was given and what is allowed', () => {
    const { parsed, errors } = parseTargetOf({
      command: 'destroy',
      release: 'Lily',
      preview: 'true',
      namespace: 'Prod',
      'create-namespace': 'on',
    });
    assert.equal(parsed.release, 'Lily', 'an invalid release gets no preview suffix');
    assert.deepEqual(errors, [
      "Input 'command' is 'destroy'; allowed: deploy, plan, uninstall, sweep, status",
      "Input 'release' is 'Lily'; allowed: a Helm release name: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 53 characters",
      "Input 'preview' is true, which needs a pull_request or pull_request_target event; this run is a push event",
      "Input 'namespace' is 'Prod'; allowed: a DNS label: lower-case letters, digits and '-', at most 63 characters",
      "Input 'create-namespace' is 'on'; allowed: true, false",
    ]);
  });

  it('requires the release', () => {
    assert.deepEqual(parseTargetOf({}).errors, ["Input 'release' is required"]);
  });

  it('sweeps without a release, or narrows the sweep to one release', () => {
    assert.deepEqual(parseTargetOf({ command: 'sweep' }), {
      parsed: {
        command: 'sweep',
        preview: undefined,
        release: '',
        namespace: '',
        createNamespace: false,
        previewNamespace: false,
      },
      errors: [],
      secrets: [],
    });
    const { parsed, errors } = parseTargetOf({ command: 'sweep', release: 'lily' });
    assert.deepEqual(errors, []);
    assert.equal(parsed.release, 'lily', 'the release the previews are named after');
    assert.match(parseTargetOf({ command: 'sweep', release: 'Lily' }).errors[0] ?? '', /'Lily'/);
  });

  it('refuses the inputs of one release’s namespace or pull request for a sweep', () => {
    const given = {
      command: 'sweep',
      namespace: 'lily-pr-1',
      preview: 'true',
      'create-namespace': 'true',
    };
    const why =
      'which command sweep does not take: it finds the previews and their namespaces itself';
    assert.deepEqual(parseTargetOf(given, pullRequest('closed', 1)).errors, [
      `Input 'namespace' is 'lily-pr-1', ${why}`,
      `Input 'preview' is true, ${why}`,
      `Input 'create-namespace' is true, ${why}`,
    ]);
    const defaults = { command: 'sweep', preview: 'false', 'create-namespace': 'false' };
    assert.deepEqual(parseTargetOf(defaults).errors, [], "action.yml's defaults are no error");
  });
});
