import type { Finding, LilyReason } from '../failure-reason.js';
import type { ContainerStatus, KubeEvent, Pod } from '../kube/types.js';
import { lilyValuesSection } from './values-sections.js';

// Lily's own failures, recognised in what its containers printed (substrings
// of the failure catalogue, shared/lily-runtime.md §2.9 and §2.5), each with
// the remedy a Lily operator would give. Pure: the failure path reads the logs
// and events, this names what they say.

/** What Lily's output says went wrong: the reason, Lily's own line, what it means and what to do. */
export interface LilyFailure {
  reason: LilyReason;
  /** Lily's line, as printed (a JSON log line's message and error). */
  line: string;
  /** What the line means, in a few words. */
  what: string;
  remedy: string;
}

/** The container that printed it, and its workload: remedies name the values to set. */
export interface LilyContainer {
  container: string;
  /** The StatefulSet of the pod (`<short>-daemon`): the values section. */
  workload?: string;
}

interface Known {
  reason: LilyReason;
  /** The line that says it; its groups feed `what` and `remedy`. */
  pattern: RegExp;
  what: (match: RegExpExecArray) => string;
  remedy: (match: RegExpExecArray, context: Context) => string;
}

interface Context extends LilyContainer {
  /** The whole output the line is from. */
  output: string;
  section: string;
}

/**
 * Installing or migrating a schema, with every Lily on that database stopped:
 * a migration takes the database-wide advisory lock every Lily holds shared.
 */
function migrateProcedure(context: Context): string {
  const storage = /Checking for database readiness for (\w+)\.\.\./.exec(context.output)?.[1];
  const env = storage ? `LILY_STORAGE_POSTGRESQL_${storage.toUpperCase()}_URL` : undefined;
  return (
    'Migrate the schema with every Lily on that database stopped (the migration needs an exclusive advisory lock, ' +
    'database-wide, that every running Lily holds shared, whatever its schema): ' +
    '1. scale every Lily StatefulSet that uses this database to 0, in every release and namespace ' +
    '(`kubectl scale statefulset -n <namespace> <name> --replicas=0`); ' +
    `2. run the image's Lily once against it: \`LILY_DB=<the storage's URL${env ? `, as in ${env}` : ''}> lily migrate --latest --schema <schema>\` ` +
    `(the schema of ${context.section}.storage.postgresql[i].schema; LILY_DB keeps the password off the command line); ` +
    '3. deploy again (or scale back up). `lily migrate` alone only checks; a TimescaleDB extension must be installed first.'
  );
}

// pg_hba's words for a connection without TLS (older servers: SSL off).
const WITHOUT_TLS = /no encryption|SSL off/;

function pgHbaRemedy(match: RegExpExecArray): string {
  return WITHOUT_TLS.test(match[0])
    ? 'The server takes only TLS connections from the pods and the URL says sslmode=disable: set database-sslmode: require (the default), or sslmode=require in database-url.'
    : "Allow the pods' addresses for this user and database in the server's pg_hba.conf (a hostssl line), or connect from an allowed network.";
}

const STALE_SNAPSHOT = /snapshots\.mainnet\.filops\.net/;
const FOREST_SNAPSHOT = 'https://forest-archive.chainsafe.dev/latest/mainnet/';

// aria2c's exit statuses (aria2 manual), as init-datastore prints them.
const ARIA2_STATUS: Record<string, string> = {
  '2': 'a timeout',
  '3': 'the file was not found',
  '6': 'a network problem',
  '9': 'not enough disk space',
  '19': 'the host name did not resolve',
  '22': 'a bad HTTP response',
  '24': 'HTTP authorisation failed',
};

// In order: the first known line found names the failure. A full disk first,
// as it makes a download or an import fail too; the database's answer before
// the schema (a schema cannot be checked without a connection).
const CATALOGUE: Known[] = [
  {
    reason: 'lily-disk',
    pattern: /no space left on device/i,
    what: () => 'the datastore volume is full',
    remedy: (_, c) =>
      `Give the datastore a volume big enough for the chain and the snapshot being imported (the snapshot is downloaded into the same volume): \`${c.section}.volumes.datastore.enabled: true\` with a larger \`${c.section}.volumes.datastore.size\` (an emptyDir datastore is the node's ephemeral storage).`,
  },
  {
    reason: 'lily-database',
    pattern: /#28P01 password authentication failed for user "([^"]*)"/,
    what: (m) => `Postgres refused the password of user "${m[1] ?? ''}"`,
    remedy: (m) =>
      `The password in the database Secret is not the password of role "${m[1] ?? ''}": fix database-password (or the password in database-url), or the role's password in Postgres (ALTER ROLE … PASSWORD). lily-deploy writes the Secret on every deploy.`,
  },
  {
    reason: 'lily-database',
    pattern: /#28000 role "([^"]*)" does not exist/,
    what: (m) => `Postgres has no role "${m[1] ?? ''}"`,
    remedy: (m) =>
      `Create the role in Postgres (CREATE ROLE "${m[1] ?? ''}" LOGIN PASSWORD …), or fix database-user (the user in database-url).`,
  },
  {
    reason: 'lily-database',
    pattern: /pg: SSL is not enabled on the server/,
    what: () => 'Lily asked for TLS and the database server has none',
    remedy: () =>
      'Lily uses TLS unless the URL says sslmode=disable (without falling back to plain text): turn TLS on in Postgres (ssl = on), or, on a network you trust, set database-sslmode: disable (sslmode=disable in database-url).',
  },
  {
    reason: 'lily-database',
    pattern: /no pg_hba\.conf entry for host[^\n]*/,
    what: (m) =>
      WITHOUT_TLS.test(m[0])
        ? 'Postgres requires TLS and the URL turned it off'
        : 'Postgres does not let this host in',
    remedy: pgHbaRemedy,
  },
  {
    reason: 'lily-database',
    pattern: /tls: either ServerName or InsecureSkipVerify must be specified/,
    what: () => "sslmode=verify-ca / verify-full, which Lily's URL parser cannot set up",
    remedy: () =>
      'Use sslmode=require (database-sslmode: require): Lily cannot verify the server certificate from a URL.',
  },
  {
    reason: 'lily-database',
    pattern: /#3D000 database "([^"]*)" does not exist/,
    what: (m) => `Postgres has no database "${m[1] ?? ''}"`,
    remedy: (m) =>
      `Create it (CREATE DATABASE "${m[1] ?? ''}" OWNER <user>), or fix database-name (the path of database-url).`,
  },
  {
    reason: 'lily-database',
    pattern: /#53300 sorry, too many clients already/,
    what: () => 'Postgres has no connection left',
    remedy: () =>
      "Raise the server's max_connections, or run fewer Lily pods or jobs on it (each storage opens a pool of up to 20 connections).",
  },
  {
    reason: 'lily-database',
    pattern: /dial tcp ([^\s:]*:?\d*): connect: connection refused/,
    what: (m) => `nothing listens at ${m[1] ?? 'the database address'}`,
    remedy: () =>
      'The database is down, or the host or port is wrong (database-host, database-port, or database-url), or the Service in front of it has no endpoints. Check it from a pod in the namespace.',
  },
  {
    reason: 'lily-database',
    pattern: /dial tcp: lookup (\S+)[^\n]*no such host/,
    what: (m) => `the database host ${m[1] ?? ''} does not resolve`,
    remedy: () =>
      "Fix database-host (the host of database-url): it must resolve from the pods (a Service's name in another namespace needs '<service>.<namespace>').",
  },
  {
    reason: 'lily-database',
    pattern: /dial tcp ([^\s]+): i\/o timeout/,
    what: (m) => `the database at ${m[1] ?? ''} does not answer (connections time out)`,
    remedy: () =>
      'A NetworkPolicy, a firewall or a security group drops the connection from the pods to the database, or the address is unroutable: allow it, or fix the host.',
  },
  {
    reason: 'lily-database',
    pattern: /parse database URL: [^\n]*/,
    what: () => "Lily's parser refuses the database URL in the Secret",
    remedy: () =>
      "Give the database as database-url or its parts so that lily-deploy writes a URL Lily accepts (postgres://user:password@host:5432/db?sslmode=require; only sslmode, application_name and connect_timeout as parameters), or fix the storage entry's secretName/secretKey so they name the URL's Secret.",
  },
  {
    reason: 'lily-database',
    pattern: /connect: ping database[^\n]*/,
    what: () => 'Lily cannot connect to the database',
    remedy: () => 'The end of the line is the database driver’s own error: fix what it names.',
  },
  {
    reason: 'lily-schema',
    pattern: /lock not acquired/,
    what: () =>
      'another Lily (or a migration) on the same database holds the schema lock, which is database-wide',
    remedy: (_, c) =>
      `If a migration is running, let it finish and deploy again. Else: ${migrateProcedure(c)}`,
  },
  {
    reason: 'lily-schema',
    pattern: /schema not installed in database/,
    what: () => 'the database has no Lily schema of that name (it was never migrated)',
    remedy: (_, c) => migrateProcedure(c),
  },
  {
    reason: 'lily-schema',
    pattern:
      /database schema is too old and requires migration|database schema was not compatible with current models|verify schema: required (table|column) [^\n]*/,
    what: () => "the database's schema is older than this Lily",
    remedy: (_, c) => migrateProcedure(c),
  },
  {
    reason: 'lily-schema',
    pattern: /database schema is too new for this version of lily/,
    what: () => "the database's schema is newer than this Lily",
    remedy: () =>
      'Deploy a Lily image at least as new as the one that migrated this database (image.tag), or use a database of its own version.',
  },
  {
    reason: 'lily-schema',
    pattern: /unsupported major version: 0/,
    what: () => 'a half-installed schema (a first migration failed half-way)',
    remedy: (_, c) =>
      `Drop <schema>.visor_version and <schema>.gopg_migrations (or the schema), fix what made the first migration fail (a missing TimescaleDB extension, say), then: ${migrateProcedure(c)}`,
  },
  {
    reason: 'lily-snapshot',
    pattern: /\.\.\.download failed: (\d+)/,
    what: (m) =>
      `the snapshot download failed (status ${m[1] ?? '?'}${ARIA2_STATUS[m[1] ?? ''] ? `: ${ARIA2_STATUS[m[1] ?? '']}` : ''})`,
    remedy: (_, c) =>
      STALE_SNAPSHOT.test(c.output)
        ? `importSnapshot.url is the chart's default, FilOps' snapshot service, retired in 2024: set importSnapshot.url to Forest's (${FOREST_SNAPSHOT}; zstd-compressed, needs Lily >= v0.14.1).`
        : `Check importSnapshot.url (it must serve the snapshot to the pods; the chart's FilOps default was retired in 2024, Forest's is ${FOREST_SNAPSHOT}), the pods' egress, and the datastore's size.`,
  },
  {
    reason: 'lily-snapshot',
    pattern: /importing chain failed:[^\n]*|peek header:[^\n]*|non-200 response:[^\n]*/,
    what: () => 'Lily could not import the snapshot',
    remedy: () =>
      `The snapshot is cut, empty or of a format this Lily cannot read (a .zst snapshot needs Lily >= v0.14.1): point importSnapshot.url at a good one (Forest's: ${FOREST_SNAPSHOT}); with a datastore on a PVC, delete the partial snapshot.car* in it before the next start.`,
  },
  {
    reason: 'lily-api',
    pattern: /timed out waiting for api to come online/,
    what: () => "Lily's API did not come online in time",
    remedy: apiRemedy,
  },
];

function apiRemedy(): string {
  return "The daemon opens its datastore and fetches proof parameters before its API answers: raise apiWaitTimeout (the chart's default is 60s), read the daemon's errors above this line, and check its memory (an OOM kill restarts it).";
}

/**
 * The first known failure in a container's outputs (its runs' logs, a hook's
 * output), the newest output first; undefined when none says a known one.
 */
export function recogniseLilyFailure(
  container: LilyContainer,
  outputs: string[],
): LilyFailure | undefined {
  const section = valuesSection(container);
  for (const raw of outputs) {
    const output = plainText(raw);
    const context: Context = { ...container, output, section };
    for (const known of CATALOGUE) {
      const match = lastMatch(known.pattern, output);
      if (match) {
        return {
          reason: known.reason,
          line: quotedLine(output, match),
          what: known.what(match),
          remedy: known.remedy(match, context),
        };
      }
    }
    const hidden = hiddenApiWait(container.container, output);
    if (hidden) return { reason: 'lily-api', ...hidden, remedy: apiRemedy() };
  }
  return undefined;
}

/**
 * The chart sends `lily wait-api`'s output to /dev/null: in init-sync and in
 * the postStart hook only `exit with code N` shows, right after the step
 * that waits for the API.
 */
function hiddenApiWait(
  container: string,
  output: string,
): { line: string; what: string } | undefined {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const exit = lines.findLastIndex((l) => /^exit with code \d+$/.test(l.trim()));
  if (exit < 1) return undefined;
  const before = lines[exit - 1]?.trim() ?? '';
  // In init-sync, the daemon's own logs come between "Starting daemon..." and the exit.
  const afterStart =
    container === 'init-sync' &&
    lines.slice(0, exit).some((l) => l.trim() === 'Starting daemon...') &&
    !lines.some((l) => l.includes('Waiting for network sync to complete...'));
  if (before !== 'Waiting for api to become ready...' && !afterStart) return undefined;
  return {
    line: lines[exit]?.trim() ?? '',
    what: "`lily wait-api` gave up: Lily's API did not come online in time (the chart hides its output)",
  };
}

/** The text of a log: `\r`-redrawn progress and terminal escapes removed. */
function plainText(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
      .split('\n')
      // What a terminal shows of a redrawn line: its last drawing.
      .map((line) => line.split('\r').filter(Boolean).at(-1) ?? '')
      .join('\n')
  );
}

function lastMatch(pattern: RegExp, text: string): RegExpExecArray | undefined {
  const global = new RegExp(
    pattern.source,
    pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`,
  );
  let last: RegExpExecArray | undefined;
  for (let m = global.exec(text); m; m = global.exec(text)) {
    last = m;
    if (m[0] === '') global.lastIndex++;
  }
  return last;
}

/** The whole line the match is on; of a JSON log line, its message and error. */
function quotedLine(text: string, match: RegExpExecArray): string {
  const start = text.lastIndexOf('\n', match.index) + 1;
  const end = text.indexOf('\n', match.index);
  const line = text.slice(start, end === -1 ? undefined : end).trim();
  return jsonLogMessage(line) ?? line;
}

function jsonLogMessage(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as { msg?: unknown; error?: unknown };
    if (typeof entry.msg !== 'string') return undefined;
    return typeof entry.error === 'string' ? `${entry.msg}: ${entry.error}` : entry.msg;
  } catch {
    return undefined;
  }
}

/**
 * A postStart hook's output, from the kubelet's words about it (the
 * container's `PostStartHookError` message; older kubelets put it in the
 * `FailedPostStartHook` event): the Go-quoted text after `message: `, without
 * the hook's command, which holds the script and so every marker.
 */
export function hookOutput(kubeletMessage: string): string | undefined {
  const quoted = /, message: ("(?:[^"\\]|\\.)*")\s*$/.exec(kubeletMessage)?.[1];
  return quoted === undefined ? undefined : unquoteGo(quoted);
}

/** Go's %q quoting undone (\n, \t, \", \\, \xNN, \uNNNN and the rest). */
function unquoteGo(quoted: string): string {
  const simple: Record<string, string> = {
    n: '\n',
    t: '\t',
    r: '\r',
    a: '\x07',
    b: '\b',
    f: '\f',
    v: '\v',
    '"': '"',
    '\\': '\\',
  };
  return quoted
    .slice(1, -1)
    .replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, escape: string) =>
      escape.length > 1
        ? String.fromCodePoint(parseInt(escape.slice(1), 16))
        : (simple[escape] ?? escape),
    );
}

/**
 * The postStart hook failed: what its output says, else its last line. A
 * kubelet that kept the output to itself (v1.2x and later put only
 * "PostStartHook failed" in the event) leaves its words to quote.
 */
function hookFailure(
  container: LilyContainer,
  output: string | undefined,
  kubeletWords: string,
): LilyFailure {
  const known = output === undefined ? undefined : recogniseLilyFailure(container, [output]);
  if (known) return known;
  const lines = plainText(output ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const jobFlag = lines.find((l) => l.startsWith('flag provided but not defined:'));
  const unknownStorage = lines.find((l) => l.startsWith('unknown storage:'));
  const section = valuesSection(container);
  return {
    reason: 'lily-api',
    line: jobFlag ?? unknownStorage ?? lines.at(-1) ?? kubeletWords,
    what:
      "Lily's start-up hook (postStart: wait for the API, sync, start the jobs) failed, which kills the container" +
      (output === undefined ? " (the kubelet keeps the hook's output in its own log)" : ''),
    remedy: jobFlag
      ? `A job's flag is in jobArgs, before the job kind: move it to ${section}.jobs[i].commandArgs.`
      : unknownStorage
        ? `A job's --storage names no storage of the config: use a name of ${section}.storage.postgresql.`
        : output === undefined
          ? "The hook's output is in the kubelet's log on the node (`journalctl -u kubelet | grep PostStartHook`), not in the API. The hook waits for the API (apiWaitTimeout), syncs, then starts each job with `lily job run`: a kind flag in jobArgs, a storage the config does not define (the Lily preflight checks both) or the job's database fail it there."
          : "The hook's output says which step failed: the API wait (raise apiWaitTimeout), the sync, or a job's `lily job run` (its flags and storage; a database error there names the database's problem).",
  };
}

function valuesSection(container: LilyContainer): string {
  return (container.workload && lilyValuesSection(container.workload)) ?? '<daemon|cluster.worker>';
}

// Lily prints nothing while it retries a database connection: from v0.17.3 a
// back-off of up to 15 minutes.
const SILENT_RETRY =
  'Lily (v0.17.3 and later) retries a database connection silently for up to 15 minutes';

/** The usual causes of a database that does not answer Lily, the most likely first. */
export const SILENT_DATABASE_CAUSES = [
  'the password in the Secret is wrong (Postgres refuses it: #28P01)',
  'the host or port is wrong, or the database is down or not reachable from the pods (a Service without endpoints, a NetworkPolicy, a firewall)',
  'the TLS setting does not match the server (Lily uses TLS unless sslmode=disable: a server without TLS refuses it, one that requires TLS refuses sslmode=disable)',
  'the database does not exist (#3D000)',
];

/**
 * init-database (`lily migrate --schema`: the chart's checking-database step)
 * running for longer than the bound: the database has not answered, and Lily
 * will not say why before its retry gives up. Pure, given the status and now.
 */
export function silentDatabaseFinding(
  pod: Pod,
  bound: { now: number; databaseTimeoutMs: number; databaseTimeout: string },
): Finding | undefined {
  const status = pod.status?.initContainerStatuses?.find((s) => s.name === 'init-database');
  const waited = status && runningFor(status, bound.now);
  if (waited === undefined || waited < bound.databaseTimeoutMs) return undefined;
  return {
    reason: 'lily-database',
    pod: pod.metadata.name,
    container: 'init-database',
    fatal: true,
    summary:
      `The database has not answered Lily for ${Math.round(waited / 1000)} s (database-timeout ${bound.databaseTimeout}): ` +
      `container init-database of pod ${pod.metadata.name} is still in \`lily migrate --schema\`, and ${SILENT_RETRY}`,
    remedy: `The usual causes, the most likely first: ${SILENT_DATABASE_CAUSES.map((c, i) => `${i + 1}. ${c}`).join('; ')}. Lily names the cause only when its retry gives up: try the URL from a pod in the namespace (psql "<the URL>").`,
  };
}

/**
 * Containers restarted after their postStart hook failed (the kubelet's
 * FailedPostStartHook event): the chart's start-up hook. The container
 * itself exits 0 when the kubelet stops it (Lily shuts down gracefully), so
 * no exit code tells the loop; fatal from `restartThreshold` restarts on.
 */
export function failedHookFindings(
  pod: Pod,
  events: KubeEvent[],
  restartThreshold: number,
): Finding[] {
  const workload = pod.metadata.ownerReferences?.[0]?.name;
  return (pod.status?.containerStatuses ?? []).flatMap((status) => {
    const restarts = status.restartCount ?? 0;
    const words = hookFailureWords(status, events);
    if (restarts === 0 || words.length === 0) return [];
    const [first = ''] = words;
    const output = words.map(hookOutput).find((o) => o !== undefined);
    const failure = hookFailure({ container: status.name, workload }, output, first);
    const what = capitalised(failure.what);
    return [
      {
        reason: failure.reason,
        pod: pod.metadata.name,
        container: status.name,
        fatal: restarts >= restartThreshold,
        summary: `${what}: "${failure.line}" (container ${status.name} of pod ${pod.metadata.name} restarted ${restarts} time(s) after its postStart hook failed)`,
        remedy: failure.remedy,
      },
    ];
  });
}

/** The kubelet's words about a container's failed postStart hook: its status while it waits, then its events. */
export function hookFailureWords(status: ContainerStatus, events: KubeEvent[]): string[] {
  const waiting = status.state?.waiting;
  return [
    ...(waiting?.reason === 'PostStartHookError' && waiting.message ? [waiting.message] : []),
    ...events
      .filter(
        (e) =>
          e.reason === 'FailedPostStartHook' &&
          e.involvedObject?.fieldPath === `spec.containers{${status.name}}`,
      )
      .map((e) => e.message ?? 'PostStartHook failed'),
  ];
}

/** What the failure path read of a container that failed. */
export interface LilyEvidence {
  /** The pod's StatefulSet: the values section remedies name. */
  workload?: string;
  /** Its runs' logs, the newest first. */
  logs: string[];
  /** The kubelet's words about its failed postStart hook, when it failed so. */
  hookFailures: string[];
}

/**
 * A crash loop refined by what Lily printed: a known Lily failure names the
 * reason, quotes Lily's line and gives its remedy; anything else keeps the
 * generic finding (a guess never replaces it). Other reasons are known already.
 */
export function withLilyCause(finding: Finding, evidence: LilyEvidence): Finding {
  if (finding.reason !== 'crash-loop' || !finding.container) return finding;
  const container = { container: finding.container, workload: evidence.workload };
  const [hookWords] = evidence.hookFailures;
  const hook = hookWords === undefined ? undefined : hookOutput(hookWords);
  const failure =
    (hook === undefined ? recogniseLilyFailure(container, evidence.logs) : undefined) ??
    (hookWords === undefined ? undefined : hookFailure(container, hook, hookWords));
  if (!failure) return finding;
  const what = capitalised(failure.what);
  return {
    ...finding,
    reason: failure.reason,
    summary: `${what}: "${failure.line}" (${finding.summary})`,
    remedy: failure.remedy,
  };
}

function runningFor(status: ContainerStatus, now: number): number | undefined {
  const started = Date.parse(status.state?.running?.startedAt ?? '');
  return Number.isNaN(started) ? undefined : now - started;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
