import { readFile } from 'node:fs/promises';
import { type ClientRequest, type OutgoingHttpHeaders, request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { createSecureContext } from 'node:tls';
import { spawnChild } from '../process.js';
import type { DirectEndpoint, PemSource } from './kubeconfig.js';

/** How KubeApi's requests reach the API server. */
export interface ApiTransport {
  /** In words, for the log: "straight to https://…" or "through kubectl proxy". */
  readonly route: string;
  /** A request to the API server's `path`, not yet ended. */
  open(method: string, path: string, headers: OutgoingHttpHeaders): Promise<ClientRequest>;
  stop(): void;
}

/**
 * Straight to the API server with the kubeconfig's static credentials: no
 * kubectl process to start first (50 to 180 ms before the first answer).
 */
export async function directTransport(endpoint: DirectEndpoint): Promise<ApiTransport> {
  const [ca, cert, key] = await Promise.all(
    [endpoint.ca, endpoint.clientCertificate, endpoint.clientKey].map(readPem),
  );
  const url = new URL(endpoint.server);
  const prefix = url.pathname.replace(/\/$/, '');
  const https = url.protocol === 'https:';
  const agent = https
    ? new Agent({
        // No cap on connections at once: a slow call (Lily's API through the
        // pod proxy, say) must never hold up a read of the pods behind it.
        keepAlive: true,
        rejectUnauthorized: !endpoint.insecure,
        // One context for all connections: given the CA, certificate and key
        // instead, Node parses them again for each connection it opens.
        secureContext: createSecureContext({
          ...(ca !== undefined ? { ca } : {}),
          ...(cert !== undefined ? { cert } : {}),
          ...(key !== undefined ? { key } : {}),
        }),
        ...(endpoint.tlsServerName ? { servername: endpoint.tlsServerName } : {}),
      })
    : undefined;
  const send = https ? httpsRequest : httpRequest;
  return {
    route: `straight to ${url.origin}${prefix} (${credentialsOf(endpoint)})`,
    async open(method, path, headers) {
      const token = await bearerToken(endpoint);
      return send({
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || (https ? 443 : 80),
        path: `${prefix}${path}`,
        method,
        headers: token ? { ...headers, authorization: `Bearer ${token}` } : headers,
        ...(agent ? { agent } : {}),
      });
    },
    stop() {
      agent?.destroy();
    },
  };
}

/**
 * Through one `kubectl proxy` on a private unix socket, with kubectl doing all
 * authentication: for what only kubectl can do (exec plugins, auth providers,
 * proxies, the system's roots).
 */
export async function kubectlProxy(
  kubectl: string,
  env: NodeJS.ProcessEnv,
  socketPath: string,
  context?: string,
): Promise<ApiTransport> {
  const args = ['proxy', `--unix-socket=${socketPath}`, ...(context ? ['--context', context] : [])];
  const proxy = spawnChild(kubectl, args, { env });
  proxy.stdin.end();
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Starting to serve')) resolve();
    };
    proxy.stdout.on('data', onData);
    proxy.stderr.on('data', onData);
    proxy.on('error', reject);
    proxy.on('exit', (code) => {
      reject(new Error(`kubectl proxy exited with code ${code}: ${output.trim()}`));
    });
  });
  proxy.stdout.removeAllListeners('data').resume();
  proxy.stderr.removeAllListeners('data').resume();
  proxy.unref();
  return {
    route: 'through kubectl proxy',
    open(method, path, headers) {
      // kubectl proxy accepts only local host names.
      return Promise.resolve(
        httpRequest({ socketPath, path, method, headers: { ...headers, host: 'localhost' } }),
      );
    },
    stop() {
      proxy.kill('SIGTERM');
    },
  };
}

async function readPem(source: PemSource | undefined): Promise<string | undefined> {
  if (source === undefined) return undefined;
  return 'pem' in source ? source.pem : readFile(source.file, 'utf8');
}

/** tokenFile wins while it can be read, else the inline token, as client-go reads them. */
async function bearerToken(endpoint: DirectEndpoint): Promise<string | undefined> {
  if (endpoint.tokenFile) {
    const fromFile = await readFile(endpoint.tokenFile, 'utf8').then(
      (text) => text.trim(),
      (err: unknown) => {
        if (endpoint.token) return endpoint.token;
        throw err;
      },
    );
    if (fromFile) return fromFile;
  }
  return endpoint.token;
}

function credentialsOf(endpoint: DirectEndpoint): string {
  const kinds = [
    ...(endpoint.clientCertificate ? ['client certificate'] : []),
    ...(endpoint.token || endpoint.tokenFile ? ['token'] : []),
  ];
  return kinds.length > 0 ? `the kubeconfig's ${kinds.join(' and ')}` : 'no credentials';
}
