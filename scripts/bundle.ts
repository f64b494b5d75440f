// `npm run bundle`: src/index.ts and its dependencies into one CommonJS file,
// dist/index.cjs (and the dependencies' licences, dist/licenses.txt), which
// dist/start.cjs compiles with V8's code cache. CommonJS, not an ES module: a
// classic script's cache can be made after the run, with every function the run
// compiled in it; an ES module's cache holds its top level only. ncc's command
// line builds an ES module wherever package.json says "type": "module", so its
// API is called here, with esm: false.
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import ncc from '@vercel/ncc';

const OUT = resolve('dist');

const { code, assets } = await ncc(resolve('src/index.ts'), {
  esm: false,
  minify: true,
  license: 'licenses.txt',
  quiet: true,
});
await writeFile(join(OUT, 'index.cjs'), code);
for (const [name, asset] of Object.entries(assets)) await writeFile(join(OUT, name), asset.source);
