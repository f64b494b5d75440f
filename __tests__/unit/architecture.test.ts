// The folder map of src/ (README, "Architecture") as a rule the code keeps:
// imports point down the layers, never up, so explaining (failure/) cannot
// reach the code that changes the cluster (deploy/).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const SRC = resolve(import.meta.dirname, '../../src');

// Lowest first; a module may import from its own layer or any lower one.
const LAYERS: string[][] = [
  [
    'settings.ts',
    'plan-digest.ts',
    'failure-reason.ts',
    'yaml.ts',
    'markdown.ts',
    'background.ts',
    'process.ts',
    'workspace.ts',
    'state.ts',
    'names.ts',
    'foreign-text.ts',
  ],
  ['kube/', 'github/'],
  ['lily/'],
  ['helm/', 'inputs/'],
  ['lock/'],
  ['cluster-access.ts'],
  ['failure/'],
  ['preflight/', 'verify/'],
  ['plan/', 'sweep/'],
  ['deploy/'],
  ['main.ts', 'post.ts', 'index.ts'],
];

/** The layer entry a source file belongs to: its folder, or its own name at the top. */
function placeOf(file: string): string {
  const rel = relative(SRC, file);
  return rel.includes('/') ? `${rel.split('/')[0]}/` : rel;
}

function layerOf(place: string): number {
  const layer = LAYERS.findIndex((entries) => entries.includes(place));
  assert.notEqual(layer, -1, `${place} is in no layer: add it to LAYERS and to the README`);
  return layer;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from |import\((?:\/\*[^*]*\*\/\s*)?)'(\.{1,2}\/[^']+)\.js'/g)].map(
    ([, spec]) => resolve(dirname(file), `${spec}.ts`),
  );
}

describe('architecture', () => {
  const files = sourceFiles(SRC);

  it('every import points to the same layer or a lower one', () => {
    const upward = files.flatMap((file) =>
      importsOf(file)
        .filter((target) => layerOf(placeOf(target)) > layerOf(placeOf(file)))
        .map((target) => `${relative(SRC, file)} → ${relative(SRC, target)}`),
    );
    assert.deepEqual(upward, []);
  });

  it('folders of one layer do not import each other', () => {
    const sideways = files.flatMap((file) =>
      importsOf(file)
        .filter((target) => {
          const [from, to] = [placeOf(file), placeOf(target)];
          return from !== to && from.endsWith('/') && layerOf(from) === layerOf(to);
        })
        .map((target) => `${relative(SRC, file)} → ${relative(SRC, target)}`),
    );
    assert.deepEqual(sideways, []);
  });

  it('child processes start in process.ts alone, which gives them no input or token', () => {
    const spawning = files
      .filter((file) => /from 'node:child_process'/.test(readFileSync(file, 'utf8')))
      .filter((file) =>
        /\bspawn\(|\bexec(File)?(Sync)?\(|\bfork\(/.test(readFileSync(file, 'utf8')),
      )
      .map((file) => relative(SRC, file));
    assert.deepEqual(spawning, ['process.ts']);
  });

  it('the explaining code never holds the tools that change the cluster', () => {
    const changers = files
      .filter((file) => ['failure/', 'verify/'].includes(placeOf(file)))
      .filter((file) =>
        /\bnew (Helm|Kubectl)\b|\.(kubectl|helm)\./.test(readFileSync(file, 'utf8')),
      )
      .map((file) => relative(SRC, file));
    assert.deepEqual(changers, []);
  });
});
