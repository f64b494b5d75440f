// An OCI registry holding one Helm chart, for the tests of `helm registry
// login` and oci:// charts: the distribution API's reads (/v2/, manifests,
// tags, blobs) behind basic auth, over HTTPS on 127.0.0.1 with a self-signed
// certificate (helm 3 logs in over HTTPS only). helm trusts it through
// SSL_CERT_FILE, which `env` gives. Helm 3 then pulls from a registry on
// 127.0.0.1 over plain HTTP, so the one port answers both: a connection
// whose first byte opens a TLS handshake is relayed to an HTTPS server, any
// other to an HTTP one.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec } from './exec.js';
import type { BasicAuth } from './static-server.js';

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  body: Buffer;
}

function listenLocally(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

function blobOf(mediaType: string, body: Buffer): Blob {
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  return { mediaType, digest, size: body.length, body };
}

export interface OciChart {
  name: string;
  version: string;
  /** The packaged chart (.tgz). */
  file: string;
}

export class OciRegistry {
  /** `127.0.0.1:<port>`: what `helm registry login` takes. */
  host = '';
  /** Requests as `METHOD path status`. */
  readonly requests: string[] = [];
  private readonly blobs = new Map<string, Blob>();
  private manifest = blobOf(MANIFEST_TYPE, Buffer.from('{}'));
  private closers: (http.Server | https.Server)[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly dir: string,
    private readonly server: Server,
    private readonly chart: OciChart,
    private readonly auth: BasicAuth,
  ) {}

  /** Serves `chart` as oci://<host>/charts/<name>:<version>, behind `auth`. */
  static async start(chart: OciChart, auth: BasicAuth): Promise<OciRegistry> {
    const dir = await mkdtemp(join(tmpdir(), 'lily-deploy-oci-'));
    await exec('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    const tls = {
      key: await readFile(join(dir, 'key.pem')),
      cert: await readFile(join(dir, 'cert.pem')),
    };
    const handle: http.RequestListener = (req, res) => {
      registry.handle(req, res);
    };
    const secure = https.createServer(tls, handle);
    const plain = http.createServer(handle);
    await Promise.all([secure, plain].map((server) => listenLocally(server)));
    const TLS_HANDSHAKE = 0x16;
    const registry: OciRegistry = new OciRegistry(
      dir,
      // The front port relays each connection to the HTTPS or the HTTP server.
      createServer((socket: Socket) => {
        registry.sockets.add(socket);
        socket.on('close', () => registry.sockets.delete(socket));
        socket.once('data', (first: Buffer) => {
          const backend = first[0] === TLS_HANDSHAKE ? secure : plain;
          const upstream = connect((backend.address() as AddressInfo).port, '127.0.0.1');
          registry.sockets.add(upstream);
          upstream.on('close', () => registry.sockets.delete(upstream));
          upstream.write(first);
          socket.pipe(upstream).pipe(socket);
          socket.on('error', () => upstream.destroy());
          upstream.on('error', () => socket.destroy());
        });
      }),
      chart,
      auth,
    );
    registry.closers = [secure, plain];
    await registry.load();
    await listenLocally(registry.server);
    registry.host = `127.0.0.1:${(registry.server.address() as AddressInfo).port}`;
    return registry;
  }

  /** The chart reference the action takes. */
  get chartRef(): string {
    return `oci://${this.host}/charts/${this.chart.name}`;
  }

  /** What helm needs to trust the registry's certificate. */
  get env(): NodeJS.ProcessEnv {
    return { SSL_CERT_FILE: join(this.dir, 'cert.pem') };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    for (const server of this.closers) server.closeAllConnections();
    await Promise.all(
      [this.server, ...this.closers].map(
        (server) => new Promise((resolve) => server.close(resolve)),
      ),
    );
    await rm(this.dir, { recursive: true, force: true });
  }

  private async load(): Promise<void> {
    const { name, version } = this.chart;
    const config = blobOf(
      'application/vnd.cncf.helm.config.v1+json',
      Buffer.from(JSON.stringify({ name, version, apiVersion: 'v2' })),
    );
    const content = blobOf(
      'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
      await readFile(this.chart.file),
    );
    const describe = ({ mediaType, digest, size }: Blob) => ({ mediaType, digest, size });
    this.manifest = blobOf(
      MANIFEST_TYPE,
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MANIFEST_TYPE,
          config: describe(config),
          layers: [describe(content)],
        }),
      ),
    );
    for (const blob of [config, content]) this.blobs.set(blob.digest, blob);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const send = (status: number, body: Buffer | string, headers: Record<string, string> = {}) => {
      this.requests.push(`${req.method} ${path} ${status}`);
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      res.writeHead(status, { 'content-length': String(bytes.length), ...headers });
      res.end(req.method === 'HEAD' ? undefined : bytes);
    };
    const expected = `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      send(401, '{"errors":[{"code":"UNAUTHORIZED"}]}', {
        'www-authenticate': 'Basic realm="lily-deploy-test"',
        'content-type': 'application/json',
      });
      return;
    }
    const repository = `/v2/charts/${this.chart.name}`;
    const blob = path.startsWith(`${repository}/blobs/`)
      ? this.blobs.get(path.slice(`${repository}/blobs/`.length))
      : undefined;
    if (path === '/v2/') send(200, '{}', { 'content-type': 'application/json' });
    else if (path === `${repository}/tags/list`)
      send(200, JSON.stringify({ name: `charts/${this.chart.name}`, tags: [this.chart.version] }), {
        'content-type': 'application/json',
      });
    else if (
      path === `${repository}/manifests/${this.chart.version}` ||
      path === `${repository}/manifests/${this.manifest.digest}`
    )
      send(200, this.manifest.body, {
        'content-type': MANIFEST_TYPE,
        'docker-content-digest': this.manifest.digest,
      });
    else if (blob)
      send(200, blob.body, {
        'content-type': 'application/octet-stream',
        'docker-content-digest': blob.digest,
      });
    else send(404, '{"errors":[{"code":"NOT_FOUND"}]}', { 'content-type': 'application/json' });
  }
}
