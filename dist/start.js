// The action's entry (action.yml runs it as the main and the post step): it
// keeps V8's code cache of the bundle (index.js, built by `npm run bundle`)
// in the runner's tool cache, which a self-hosted runner keeps, so later runs
// skip compiling it. Written by hand, not by the bundler: it must run before
// the bundle is read. Node checks each cache entry against the source's hash.
import * as module from 'node:module';

const toolCache = process.env.RUNNER_TOOL_CACHE;
if (toolCache && typeof module.enableCompileCache === 'function') {
  module.enableCompileCache(`${toolCache}/lily-deploy-compile-cache`);
}
await import('./index.js');
