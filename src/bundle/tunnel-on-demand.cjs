// @actions/core imports @actions/http-client, which imports tunnel at its top:
// tunnel, with node's assert, net and tls, would be evaluated at every start,
// though only a request through a proxy builds a tunnelling agent (the
// action's own requests use node:http). tsconfig's paths point 'tunnel' here
// for the bundle; tunnel itself is evaluated when the first agent is built.
'use strict';
const tunnel = () => require('tunnel/index.js');
exports.httpOverHttp = (options) => tunnel().httpOverHttp(options);
exports.httpsOverHttp = (options) => tunnel().httpsOverHttp(options);
exports.httpOverHttps = (options) => tunnel().httpOverHttps(options);
exports.httpsOverHttps = (options) => tunnel().httpsOverHttps(options);
