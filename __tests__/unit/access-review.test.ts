// What a deploy asks the API server for, and how a refusal is shown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allowedByRules,
  deniedTable,
  deployAccessChecks,
  grantingRoles,
  lilyApiDenial,
} from '../../src/preflight/access-review.js';

const PLAN = {
  namespace: 'lily',
  createsNamespace: true,
  writesSecret: true,
  storage: 'secrets' as const,
  releaseResources: [
    { group: 'apps', resource: 'statefulsets', namespaced: true },
    { group: 'policy', resource: 'poddisruptionbudgets', namespaced: true },
  ],
  remediate: false,
};

describe('deployAccessChecks', () => {
  it("asks for pods/proxy (create: JSON-RPC is a POST) as optional when the verify window asks Lily's API", () => {
    const proxy = deployAccessChecks({ ...PLAN, verifiesLilyApi: true }).filter(
      (c) => c.resource === 'pods/proxy',
    );
    assert.deepEqual(proxy, [
      {
        verb: 'create',
        group: '',
        resource: 'pods/proxy',
        namespace: 'lily',
        why: "verify: Lily's API",
        required: false,
      },
    ]);
    assert.equal(
      lilyApiDenial(proxy, 'lily')?.startsWith(
        "these credentials may not create pods/proxy in namespace lily, which asking Lily's API",
      ),
      true,
    );
    assert.equal(lilyApiDenial([], 'lily'), undefined);
    assert.ok(!deployAccessChecks(PLAN).some((c) => c.resource === 'pods/proxy'));
  });

  it("covers the namespace, the Secret, helm's records and the release's kinds; diagnostics only as optional", () => {
    const checks = deployAccessChecks(PLAN);
    const key = (c: { verb: string; group: string; resource: string; namespace: string }) =>
      `${c.verb} ${c.group}/${c.resource} ${c.namespace}`;
    const required = new Set(checks.filter((c) => c.required).map(key));
    for (const k of [
      'create /namespaces ',
      'create /secrets lily',
      'delete /secrets lily',
      'update /secrets lily',
      'patch apps/statefulsets lily',
      'watch policy/poddisruptionbudgets lily',
    ])
      assert.ok(required.has(k), k);
    const optional = checks.filter((c) => !c.required).map(key);
    assert.deepEqual(optional, ['list /pods lily', 'list /events lily', 'get /pods/log lily']);
    assert.equal(checks.length, new Set(checks.map(key)).size, 'each check once');
  });

  it('asks nothing of records helm keeps elsewhere, and nothing of a namespace that exists', () => {
    const checks = deployAccessChecks({
      ...PLAN,
      storage: 'helm',
      createsNamespace: false,
      writesSecret: false,
    });
    assert.ok(checks.every((c) => c.resource !== 'secrets' && c.resource !== 'namespaces'));
  });
});

describe('deniedTable and grantingRoles', () => {
  const denied = deployAccessChecks(PLAN).filter(
    (c) => c.resource === 'poddisruptionbudgets' || c.resource === 'namespaces',
  );

  it('lists each resource once with the verbs denied and why', () => {
    assert.equal(
      deniedTable(denied),
      [
        '| API group | resource | namespace | verbs denied | needed for |',
        '|---|---|---|---|---|',
        '| core | namespaces | (cluster) | create | create-namespace |',
        '| policy | poddisruptionbudgets | lily | get, list, watch, create, patch, update, delete | the release |',
      ].join('\n'),
    );
  });

  it('grants namespaced verbs with a Role and cluster-scoped ones with a ClusterRole', () => {
    const roles = grantingRoles(denied, 'lily');
    assert.match(
      roles,
      /kind: Role\nmetadata:\n {2}name: lily-deploy\n {2}namespace: lily\nrules:\n {2}- apiGroups: \[policy\]/,
    );
    assert.match(
      roles,
      /---\n[\s\S]*kind: ClusterRole[\s\S]*resources: \[namespaces\]\n {4}verbs: \[create\]/,
    );
  });
});

describe('allowedByRules', () => {
  const check = (verb: string, group: string, resource: string, namespace = 'lily') => ({
    verb,
    group,
    resource,
    namespace,
    why: 'the release',
    required: true,
  });
  it('matches verbs, groups and resources by name or *, subresources by name or */sub', () => {
    const rules = [
      { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'pods/log'] },
      { verbs: ['*'], apiGroups: ['apps'], resources: ['*'] },
      { verbs: ['get'], apiGroups: ['*'], resources: ['*/status'] },
    ];
    assert.ok(allowedByRules(rules, check('list', '', 'pods')));
    assert.ok(allowedByRules(rules, check('get', '', 'pods/log')));
    assert.ok(allowedByRules(rules, check('delete', 'apps', 'statefulsets')));
    assert.ok(allowedByRules(rules, check('get', 'policy', 'poddisruptionbudgets/status')));
    assert.ok(!allowedByRules(rules, check('delete', '', 'pods')));
    assert.ok(!allowedByRules(rules, check('get', 'policy', 'poddisruptionbudgets')));
    assert.ok(!allowedByRules(rules, check('get', '', 'secrets')));
  });
  it('leaves to an access review what a rule limited to resourceNames or a cluster-scoped kind needs', () => {
    const named = [
      { verbs: ['*'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db'] },
    ];
    assert.ok(!allowedByRules(named, check('get', '', 'secrets')));
    const all = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }];
    assert.ok(allowedByRules(all, check('create', '', 'secrets')));
    assert.ok(!allowedByRules(all, check('create', '', 'namespaces', '')));
  });
});
