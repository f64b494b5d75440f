// scripts/changelog-section.ts: the body of a GitHub release is the tagged
// version's CHANGELOG section, and a tag without one is refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  changelogSection,
  changelogVersions,
  tagVersion,
} from '../../scripts/changelog-section.js';

const root = new URL('../../', import.meta.url);
const script = new URL('scripts/changelog-section.ts', root).pathname;

const CHANGELOG = `# Changelog

Intro.

## [Unreleased]

### Fixed

- Not released yet.

## [1.1.0-rc.1] - 2027-01-10

### Added

- A candidate.

## [1.0.0] - 2026-12-04

The first release.

### Added

- \`command: deploy\`.
- [A link][docs].

### Security

- Verified helm.

[docs]: https://example.org/docs
[unreleased]: https://github.com/o/r/compare/v1.1.0-rc.1...HEAD
[1.1.0-rc.1]: https://github.com/o/r/compare/v1.0.0...v1.1.0-rc.1
[1.0.0]: https://github.com/o/r/releases/tag/v1.0.0
`;

describe('changelogSection', () => {
  it("is a version's section exactly, without its heading or the link references below it", () => {
    assert.equal(
      changelogSection(CHANGELOG, '1.0.0'),
      [
        'The first release.',
        '',
        '### Added',
        '',
        '- `command: deploy`.',
        '- [A link][docs].',
        '',
        '### Security',
        '',
        '- Verified helm.',
      ].join('\n'),
    );
  });

  it('ends at the next section', () => {
    assert.equal(changelogSection(CHANGELOG, '1.1.0-rc.1'), '### Added\n\n- A candidate.');
  });

  it('refuses a version without a section, naming it', () => {
    assert.throws(() => changelogSection(CHANGELOG, '1.0.1'), /no section for 1\.0\.1/);
    // 1.0.0 is not 1.0.0-rc.1, nor the other way round.
    assert.throws(() => changelogSection(CHANGELOG, '1.0.0-rc.1'), /no section/);
  });

  it('refuses an empty section and a version with two', () => {
    assert.throws(
      () => changelogSection('## [2.0.0] - 2027-01-01\n\n## [1.0.0]\n\n- x\n', '2.0.0'),
      /empty/,
    );
    assert.throws(
      () => changelogSection('## [1.0.0]\n\n- a\n\n## [1.0.0]\n\n- b\n', '1.0.0'),
      /2 sections/,
    );
  });
});

describe('changelogVersions', () => {
  it('lists the released versions newest first', () => {
    assert.deepEqual(changelogVersions(CHANGELOG), ['1.1.0-rc.1', '1.0.0']);
  });
});

describe('tagVersion', () => {
  const versions: [string, string][] = [
    ['v1.0.0', '1.0.0'],
    ['1.0.0', '1.0.0'],
    ['v12.30.4', '12.30.4'],
    ['v1.2.0-rc.1', '1.2.0-rc.1'],
    ['v1.2.0-0.alpha-2', '1.2.0-0.alpha-2'],
  ];
  for (const [tag, version] of versions) {
    it(`${tag} → ${version}`, () => {
      assert.equal(tagVersion(tag), version);
    });
  }
  for (const tag of [
    'v1.0',
    'v1',
    'vfoo.bar.baz',
    'v01.0.0',
    'v1.0.0-',
    'v1.0.0-rc..1',
    'v1.0.0-01',
    'v1.0.0+build.1',
    'release-1.0.0',
  ]) {
    it(`refuses ${tag}`, () => {
      assert.throws(() => tagVersion(tag), /is not a version tag/);
    });
  }
});

describe('the script', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: root,
      encoding: 'utf8',
    });

  it("prints the tagged version's section of the repository's CHANGELOG.md", () => {
    const changelog = readFileSync(new URL('CHANGELOG.md', root), 'utf8');
    const result = run('v1.0.0');
    assert.equal(result.stderr, '');
    assert.equal(result.status, 0);
    assert.equal(result.stdout, `${changelogSection(changelog, '1.0.0')}\n`);
    assert.match(result.stdout, /^### Added$/m);
    assert.doesNotMatch(result.stdout, /^## |^\[[^\]]+\]: /m);
  });

  it('fails for a version without a section, printing nothing', () => {
    const result = run('v0.9.9');
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^changelog-section: CHANGELOG\.md has no section for 0\.9\.9/);
  });
});
