import type { KubeApi } from '../kube/api.js';

// Lily's JSON-RPC API (/rpc/v0 on port 1234), read through the API server's
// pod proxy. Lily gives every token-less caller read permission, and its
// "read" methods include Shutdown and stopping jobs: this client can send
// only the methods below, which change nothing. Its one way to call is
// private and takes only a ReadOnlyMethod; the pod proxy is used nowhere
// else (see the architecture test).

export const LILY_API_PORT = 1234;
const RPC_PATH = '/rpc/v0';
/** A Lily that does not answer in this long does not answer. */
const CALL_TIMEOUT_MS = 10_000;

export const READ_ONLY_METHODS = [
  'Filecoin.ID',
  'Filecoin.ChainHead',
  'Filecoin.SyncState',
  'Filecoin.LilyJobList',
] as const;
export type ReadOnlyMethod = (typeof READ_ONLY_METHODS)[number];

/** A tipset as ChainHead returns it (lotus ExpTipSet), the parts read here. */
export interface TipSet {
  Height: number;
  Blocks: { Timestamp: number }[];
}

export interface SyncState {
  /** Stage: 0 idle, 1 headers, 2 persisting headers, 3 messages, 4 complete, 5 error, 6 fetching messages. */
  ActiveSyncs:
    { Stage: number; Height: number; Target?: { Height: number } | null; Message: string }[] | null;
}

/** One job of LilyJobList (Lily's JobListResult), the parts read here. */
export interface LilyJob {
  ID: number;
  Name: string;
  Type: string;
  /** The last failure, '' when none. */
  Error: string;
  Running: boolean;
}

interface Results {
  'Filecoin.ID': string;
  'Filecoin.ChainHead': TipSet;
  'Filecoin.SyncState': SyncState;
  'Filecoin.LilyJobList': LilyJob[] | null;
}

/** Sends one JSON-RPC body to a Lily's /rpc/v0; the answer's body. */
export type RpcTransport = (body: string) => Promise<string>;

/** The read-only API of one Lily. */
export class LilyApi {
  constructor(private readonly transport: RpcTransport) {}

  /** The peer ID: the API answers (what `lily wait-api` asks). */
  id(): Promise<string> {
    return this.call('Filecoin.ID');
  }

  chainHead(): Promise<TipSet> {
    return this.call('Filecoin.ChainHead');
  }

  syncState(): Promise<SyncState> {
    return this.call('Filecoin.SyncState');
  }

  /** The jobs; Lily answers null for none. */
  async jobs(): Promise<LilyJob[]> {
    return (await this.call('Filecoin.LilyJobList')) ?? [];
  }

  private async call<M extends ReadOnlyMethod>(method: M): Promise<Results[M]> {
    // A cast must not get another method past the type.
    if (!READ_ONLY_METHODS.includes(method))
      throw new Error(`${method as string} is not a read-only Lily method`);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] });
    const reply = JSON.parse(await this.transport(body)) as {
      result?: Results[M];
      error?: { code: number; message: string };
    };
    if (reply.error)
      throw new Error(`${method}: Lily answered error ${reply.error.code}: ${reply.error.message}`);
    return reply.result as Results[M];
  }
}

/** The API of the Lily in a pod, through the API server's pod proxy. */
export function lilyApiOfPod(kube: KubeApi, namespace: string, pod: string): LilyApi {
  const target = { namespace, pod, port: LILY_API_PORT, path: RPC_PATH };
  return new LilyApi((body) => kube.postToPod(target, body, CALL_TIMEOUT_MS));
}
