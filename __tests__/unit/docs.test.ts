// The README is the action's manual: it must list every input and output of
// action.yml, and the example workflows must be exactly its copy-paste blocks.
// CHANGELOG.md's newest release is package.json's version (a release's tag,
// checked by the release workflow).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as yaml from 'js-yaml';
import { changelogSection, changelogVersions } from '../../scripts/changelog-section.js';

const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const action = yaml.load(readFileSync(new URL('action.yml', root), 'utf8')) as {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string; post: string };
};

describe('README and action.yml', () => {
  it('documents every input and output', () => {
    for (const name of [...Object.keys(action.inputs), ...Object.keys(action.outputs)]) {
      assert.match(
        readme,
        new RegExp(`^\\| \`${name}\` +\\|`, 'm'),
        `README's tables list ${name}`,
      );
    }
  });

  it('runs on node24 with a post step, from dist/', () => {
    assert.deepEqual(action.runs, {
      using: 'node24',
      main: 'dist/start.cjs',
      post: 'dist/start.cjs',
    });
  });

  it('holds the example workflows verbatim', () => {
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
    const dir = new URL('.github/workflows/examples/', root);
    const examples = readdirSync(dir).filter((f) => f.endsWith('.yml'));
    assert.equal(examples.length, 6);
    for (const file of examples) {
      const body = readFileSync(new URL(file, dir), 'utf8').replace(/^(#.*\n)+/, '');
      assert.ok(blocks.includes(body), `${file} is one of README's workflows`);
    }
  });

  it('holds the values file for the published chart verbatim (the e2e tests deploy with it)', () => {
    const values = readFileSync(new URL('examples/lily-daemon-values.yaml', root), 'utf8');
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
    assert.ok(blocks.includes(values));
  });
});

describe('CHANGELOG.md', () => {
  const changelog = readFileSync(new URL('CHANGELOG.md', root), 'utf8');
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
    version: string;
  };

  it("has package.json's version as its newest release, with a section the release workflow can publish", () => {
    assert.equal(changelogVersions(changelog)[0], pkg.version);
    assert.match(
      changelog,
      new RegExp(`^## \\[${pkg.version.replaceAll('.', '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'),
    );
    assert.ok(changelogSection(changelog, pkg.version));
  });

  it('has a link reference for every release', () => {
    for (const version of changelogVersions(changelog)) {
      assert.match(
        changelog,
        new RegExp(
          `^\\[${version.replaceAll('.', '\\.')}\\]: https://github\\.com/lily-deploy/lily-deploy/`,
          'm',
        ),
      );
    }
  });
});
