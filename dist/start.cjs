// The action's entry (action.yml runs it as the main and the post step). It
// runs the bundle (index.cjs, built by `npm run bundle`) as node's CommonJS
// loader would, but compiled with V8's code cache kept in the runner's tool
// cache, which a self-hosted runner keeps: a run without a cache makes one as
// it exits, holding every function the run compiled, so later runs compile
// almost nothing. One cache per step and command (a deploy, a plan and the post
// step run different code). A GitHub-hosted runner starts each job with an
// empty tool cache, so nothing is kept there. Written by hand, not by the
// bundler: it runs before the bundle. V8 checks a cache against the source's
// length only, so an entry is named by the hash of node's version and the
// whole source.
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

const file = join(__dirname, 'index.cjs');
const source = readFileSync(file, 'utf8');
const toolCache = process.env.RUNNER_TOOL_CACHE;
const cacheDir =
  toolCache && process.env.RUNNER_ENVIRONMENT !== 'github-hosted'
    ? join(toolCache, 'lily-deploy-code-cache')
    : undefined;
// The command as the runner passes it (checked by the bundle, not here).
const command = (process.env.INPUT_COMMAND ?? '').trim() || 'deploy';
const step = process.env.STATE_isPost === 'true' ? 'post' : /^[a-z]{1,20}$/.test(command) ? command : 'other';
const cacheFile =
  cacheDir &&
  join(
    cacheDir,
    `${createHash('sha256').update(`${process.version} ${process.arch}\n`).update(source).digest('hex')}-${step}`,
  );
let cachedData;
try {
  if (cacheFile) cachedData = readFileSync(cacheFile);
} catch {
  // None yet: this run makes it.
}
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: file,
  cachedData,
});
if (cacheFile && (cachedData === undefined || script.cachedDataRejected)) {
  process.once('exit', () => {
    try {
      mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
      const partial = `${cacheFile}.${process.pid}`;
      writeFileSync(partial, script.createCachedData(), { mode: 0o600 });
      renameSync(partial, cacheFile); // whole or absent for a job running beside this one
    } catch {
      // A cache that cannot be written only makes the next run compile again.
    }
  });
}
const bundle = { exports: {} };
script
  .runInThisContext()
  .call(bundle.exports, bundle.exports, createRequire(file), bundle, file, __dirname);
