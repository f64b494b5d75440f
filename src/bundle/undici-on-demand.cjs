// @actions/core imports @actions/http-client, which imports undici's
// ProxyAgent at its top: undici (half of dist/index.cjs) would be evaluated at
// every start, about 25 ms before the first line, though only a fetch through
// a proxy ever constructs a ProxyAgent (the action's requests use node:http).
// tsconfig's paths point 'undici' here for the bundle; undici itself is
// evaluated when the first one is constructed.
'use strict';
exports.ProxyAgent = function ProxyAgent(options) {
  const { ProxyAgent: Undici } = require('undici/index.js');
  return new Undici(options);
};
