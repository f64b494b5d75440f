// `npm run bundle`: src/index.ts and its dependencies into one CommonJS file,
// dist/index.cjs (and the dependencies' licences, dist/licenses.txt), which
// dist/start.cjs compiles with V8's code cache. CommonJS, not an ES module: a
// classic script's cache can be made after the run, with every function the run
// compiled in it; an ES module's cache holds its top level only. ncc's command
// line builds an ES module wherever package.json says "type": "module", so its
// API is called here, with esm: false, and without its cache: ncc's cache
// (~/.cache/ncc) does not tell an ES module's build from a CommonJS one, and
// reusing an ES module's left `import` statements in this script.
//
// The bundle is then written in ASCII (esbuild's printer escapes what the
// minifier left as UTF-8): node reads an ASCII file into a one-byte string,
// which takes half the time of a UTF-8 one and half the memory. The licence
// notices some dependencies carry in their code (legal comments) move to the
// end of dist/licenses.txt.
import { appendFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Script } from 'node:vm';
import ncc from '@vercel/ncc';
import { transform } from 'esbuild';

const OUT = resolve('dist');

const { code, assets } = await ncc(resolve('src/index.ts'), {
  esm: false,
  minify: true,
  license: 'licenses.txt',
  quiet: true,
  cache: false,
});
// Every notice, before esbuild prints the code without them (it keeps only
// those at a statement's level, and one is inside an expression).
const notices = [...new Set(code.match(/\/\*![\s\S]*?\*\//g) ?? [])];
const ascii = await transform(code, {
  charset: 'ascii',
  minifyWhitespace: true,
  legalComments: 'none',
});
// esbuild leaves a regular expression's characters as they are.
const nonAscii = /[\u0080-\uffff]/.exec(ascii.code);
if (nonAscii)
  throw new Error(
    `dist/index.cjs would hold ${JSON.stringify(nonAscii[0])} at ${ascii.code.slice(nonAscii.index - 60, nonAscii.index + 20)}: write it as a \\u escape in src/`,
  );
// Compiled as dist/start.cjs compiles it: an ES module's syntax fails the build, not a run.
new Script(`(function (exports, require, module, __filename, __dirname) {${ascii.code}\n})`);
await writeFile(join(OUT, 'index.cjs'), ascii.code);
for (const [name, asset] of Object.entries(assets)) await writeFile(join(OUT, name), asset.source);
await appendFile(
  join(OUT, 'licenses.txt'),
  `\nNotices carried in the bundled code (legal comments):\n\n${notices.join('\n')}\n`,
);
