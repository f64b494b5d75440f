import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alreadyExisting } from '../../src/kube/kubectl.js';

// kubectl 1.32's stderr for `kubectl create -f -` of a List.
const NAMESPACE_EXISTS =
  'Error from server (AlreadyExists): error when creating "STDIN": namespaces "lily-a" already exists\n';
const SECRET_EXISTS =
  'Error from server (AlreadyExists): error when creating "STDIN": secrets "lily-a-lily-db" already exists\n';
const FORBIDDEN =
  'Error from server (Forbidden): error when creating "STDIN": secrets is forbidden: User "system:serviceaccount:a:deployer" cannot create resource "secrets"\n';

describe('alreadyExisting', () => {
  it('names each object create found already there', () => {
    assert.deepEqual(alreadyExisting(NAMESPACE_EXISTS), ['namespaces/lily-a']);
    assert.deepEqual(alreadyExisting(NAMESPACE_EXISTS + SECRET_EXISTS), [
      'namespaces/lily-a',
      'secrets/lily-a-lily-db',
    ]);
  });

  it('is undefined when create failed for another reason as well', () => {
    assert.equal(alreadyExisting(NAMESPACE_EXISTS + FORBIDDEN), undefined);
    assert.equal(alreadyExisting(FORBIDDEN), undefined);
    assert.equal(alreadyExisting(''), undefined);
  });
});
