// The release notes of one version: its section of CHANGELOG.md (Keep a
// Changelog: `## [1.2.3] - 2026-12-04` headings, newest first, link references
// at the bottom). The release workflow makes a GitHub release's body with it.
//
//   tsx scripts/changelog-section.ts v1.2.3 [CHANGELOG.md]
//
// prints the section without its heading. A tag that is not a version
// (vMAJOR.MINOR.PATCH, optionally -PRERELEASE; no +BUILD), a version without a
// section, or an empty section is an error: exit code 1 and nothing on stdout.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// semver.org's grammar, without build metadata.
const NUMBER = '(?:0|[1-9]\\d*)';
const IDENTIFIER = `(?:${NUMBER}|\\d*[A-Za-z-][0-9A-Za-z-]*)`;
const VERSION = new RegExp(
  `^v?(${NUMBER}\\.${NUMBER}\\.${NUMBER}(?:-${IDENTIFIER}(?:\\.${IDENTIFIER})*)?)$`,
);

const HEADING = /^## \[([^\]]+)\]/;
const LINK_REFERENCE = /^\[[^\]]+\]:\s/;

/** The version a tag names (`v1.2.3-rc.1` → `1.2.3-rc.1`); throws for a tag that names none. */
export function tagVersion(tag: string): string {
  const match = VERSION.exec(tag);
  if (!match) {
    throw new Error(
      `${JSON.stringify(tag)} is not a version tag (vMAJOR.MINOR.PATCH or vMAJOR.MINOR.PATCH-PRERELEASE)`,
    );
  }
  return match[1]!;
}

/** The versions the changelog has a section for, newest first ([Unreleased] left out). */
export function changelogVersions(changelog: string): string[] {
  return changelog
    .split('\n')
    .flatMap((line) => HEADING.exec(line)?.[1] ?? [])
    .filter((label) => label.toLowerCase() !== 'unreleased');
}

/**
 * The body of a version's section: the lines after its heading up to the next
 * `## ` heading (or the link references that end the file), blank lines at
 * either end trimmed. Throws when the version has no section, two, or an empty one.
 */
export function changelogSection(changelog: string, version: string): string {
  const lines = changelog.split('\n');
  const starts = lines.flatMap((line, i) => (HEADING.exec(line)?.[1] === version ? [i] : []));
  if (starts.length === 0)
    throw new Error(
      `CHANGELOG.md has no section for ${version} (a "## [${version}] - YYYY-MM-DD" heading)`,
    );
  if (starts.length > 1)
    throw new Error(`CHANGELOG.md has ${starts.length} sections for ${version}`);
  const start = starts[0]! + 1;
  let end = lines.findIndex((line, i) => i >= start && line.startsWith('## '));
  if (end === -1) end = lines.length;
  const body = lines.slice(start, end);
  const isTrailing = (line: string): boolean => line.trim() === '' || LINK_REFERENCE.test(line);
  while (body.length > 0 && isTrailing(body[body.length - 1]!)) body.pop();
  while (body.length > 0 && body[0]!.trim() === '') body.shift();
  if (body.length === 0) throw new Error(`CHANGELOG.md's section for ${version} is empty`);
  return body.join('\n');
}

function main(args: string[]): void {
  const [tag, file = 'CHANGELOG.md'] = args;
  if (tag === undefined || args.length > 2) {
    throw new Error('usage: tsx scripts/changelog-section.ts <tag> [CHANGELOG.md]');
  }
  const section = changelogSection(readFileSync(file, 'utf8'), tagVersion(tag));
  process.stdout.write(`${section}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`changelog-section: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
