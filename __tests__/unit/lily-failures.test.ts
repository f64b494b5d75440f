// Lily's own failures recognised in its lines: each message of the failure
// catalogue (shared/lily-runtime.md §2.9, §2.5, §2.7), in its exact wording.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { withLilyCauses } from '../../src/failure/lily-causes.js';
import type { Finding } from '../../src/failure-reason.js';
import type { KubeEvent, Pod } from '../../src/kube/types.js';
import {
  failedHookFindings,
  hookOutput,
  recogniseLilyFailure,
  silentDatabaseFinding,
  withLilyCause,
} from '../../src/lily/failures.js';

const DAEMON = { container: 'daemon', workload: 'lily-lily-dev-mainnet-daemon' };
const INIT_DATABASE = { container: 'init-database', workload: 'lily-lily-dev-mainnet-daemon' };

/** init-database's log as the chart's script and Lily print it, ending with Lily's error line. */
function migrateLog(error: string): string {
  return [
    'Checking for database readiness for db...',
    '{"level":"info","ts":"2026-12-04T10:00:00.000Z","logger":"lily/commands","caller":"commands/migrate.go:85","msg":"lily version:v0.24.3"}',
    error,
  ].join('\n');
}

const PING = 'get schema versions: connect: ping database retry attempt: ping database: ';

describe('recogniseLilyFailure', () => {
  const cases: [string, string, string, RegExp][] = [
    [
      'wrong password',
      `${PING}FATAL #28P01 password authentication failed for user "lily"`,
      'lily-database',
      /password in the database Secret is not the password of role "lily"/,
    ],
    [
      'unknown role',
      `${PING}FATAL #28000 role "lily" does not exist`,
      'lily-database',
      /CREATE ROLE "lily"/,
    ],
    [
      'server without TLS',
      `${PING}pg: SSL is not enabled on the server`,
      'lily-database',
      /database-sslmode: disable/,
    ],
    [
      'TLS required, sslmode=disable',
      `${PING}FATAL #28000 no pg_hba.conf entry for host "10.88.0.7", user "lily", database "chain", no encryption`,
      'lily-database',
      /set database-sslmode: require/,
    ],
    [
      'TLS required, older Postgres',
      `${PING}FATAL #28000 no pg_hba.conf entry for host "10.88.0.7", user "lily", database "chain", SSL off`,
      'lily-database',
      /set database-sslmode: require/,
    ],
    [
      'host not allowed',
      `${PING}FATAL #28000 no pg_hba.conf entry for host "10.88.0.7", user "lily", database "chain", SSL encryption`,
      'lily-database',
      /pg_hba\.conf \(a hostssl line\)/,
    ],
    [
      'sslmode=verify-full',
      `${PING}tls: either ServerName or InsecureSkipVerify must be specified in the tls.Config`,
      'lily-database',
      /Use sslmode=require/,
    ],
    [
      'missing database',
      `${PING}FATAL #3D000 database "chain" does not exist`,
      'lily-database',
      /CREATE DATABASE "chain"/,
    ],
    [
      'nothing listening',
      `${PING}dial tcp 10.0.0.5:5432: connect: connection refused`,
      'lily-database',
      /The database is down, or the host or port is wrong/,
    ],
    [
      'DNS',
      `${PING}dial tcp: lookup db.example on 10.96.0.10:53: no such host`,
      'lily-database',
      /Fix database-host/,
    ],
    ['filtered', `${PING}dial tcp 10.0.0.5:5432: i/o timeout`, 'lily-database', /NetworkPolicy/],
    [
      'too many clients',
      `${PING}FATAL #53300 sorry, too many clients already`,
      'lily-database',
      /max_connections/,
    ],
    [
      'unparsable URL',
      'connect database: parse database URL: pg: invalid scheme: ',
      'lily-database',
      /database-url/,
    ],
    [
      'Lily v0.13 (no retry)',
      'get schema versions: connect: ping database: FATAL #28P01 password authentication failed for user "lily"',
      'lily-database',
      /password in the database Secret/,
    ],
    [
      'schema not installed',
      'verify schema: schema not installed in database',
      'lily-schema',
      /scale every Lily StatefulSet that uses this database to 0/,
    ],
    [
      'schema older than the models',
      'verify schema: database schema was not compatible with current models',
      'lily-schema',
      /lily migrate --latest --schema <schema>/,
    ],
    [
      'a job on an old schema',
      'the latest schema version supported by lily (1.46) is newer than the schema version in use by the database (1.40) running lily this way will cause models data persistence failures: database schema is too old and requires migration',
      'lily-schema',
      /lily migrate --latest/,
    ],
    [
      'a job on a newer schema',
      'the latest schema version supported by lily (1.12) is older than the schema version in use by the database (1.46) running lily this way will cause undefined behaviour: database schema is too new for this version of lily',
      'lily-schema',
      /image\.tag/,
    ],
    [
      'the advisory lock',
      'acquiring schema lock: lock not acquired',
      'lily-schema',
      /If a migration is running, let it finish[^]*scale every Lily StatefulSet/,
    ],
    [
      'the exclusive lock',
      'get schema versions: connect: failed to acquire schema lock, possible migration in progress: lock not acquired',
      'lily-schema',
      /advisory lock/,
    ],
    [
      'half-installed schema',
      'get schema versions: unsupported major version: 0',
      'lily-schema',
      /Drop <schema>\.visor_version/,
    ],
  ];
  for (const [name, line, reason, remedy] of cases) {
    it(`${name}: ${reason}, quoting the line`, () => {
      const failure = recogniseLilyFailure(INIT_DATABASE, [migrateLog(line)]);
      assert.equal(failure?.reason, reason);
      assert.equal(failure.line, line.trim());
      assert.match(failure.remedy, remedy);
    });
  }

  it("names the storage's URL variable in the migration procedure", () => {
    const failure = recogniseLilyFailure(INIT_DATABASE, [
      migrateLog('verify schema: schema not installed in database'),
    ]);
    assert.match(
      failure?.remedy ?? '',
      /LILY_DB=<the storage's URL, as in LILY_STORAGE_POSTGRESQL_DB_URL> lily migrate --latest --schema <schema>` \(the schema of daemon\.storage\.postgresql\[i\]\.schema/,
    );
  });

  it('quotes a JSON log line by its message and error', () => {
    const failure = recogniseLilyFailure(INIT_DATABASE, [
      migrateLog(
        '{"level":"error","ts":"2026-12-04T10:00:00.000Z","logger":"lily/storage","caller":"storage/sql.go:225","msg":"verify schema: required table \\"block_headers\\" not found"}',
      ),
    ]);
    assert.equal(failure?.reason, 'lily-schema');
    assert.equal(failure.line, 'verify schema: required table "block_headers" not found');
  });

  it('snapshot download failed: lily-snapshot, naming the retired FilOps URL', () => {
    const log = [
      '*** Downloading snapshot from url https://snapshots.mainnet.filops.net/minimal/latest...',
      '...download failed: 3',
    ].join('\n');
    const failure = recogniseLilyFailure({ container: 'init-datastore' }, [log]);
    assert.equal(failure?.reason, 'lily-snapshot');
    assert.equal(failure.line, '...download failed: 3');
    assert.equal(failure.what, 'the snapshot download failed (status 3: the file was not found)');
    assert.match(
      failure.remedy,
      /FilOps' snapshot service, retired in 2024: set importSnapshot\.url to Forest's \(https:\/\/forest-archive/,
    );
  });

  it('another snapshot URL that fails: lily-snapshot, with the checks to make', () => {
    const log = [
      '*** Downloading snapshot from url http://10.0.0.1/s.car...',
      '...download failed: 1',
    ].join('\n');
    const failure = recogniseLilyFailure({ container: 'init-datastore' }, [log]);
    assert.equal(failure?.reason, 'lily-snapshot');
    assert.match(failure.remedy, /^Check importSnapshot\.url/);
  });

  for (const line of [
    'importing chain failed: loadcar failed: invalid header: unexpected EOF',
    'peek header: EOF',
    'non-200 response: 404',
  ]) {
    it(`a snapshot Lily cannot import (${line}): lily-snapshot`, () => {
      const log = ['*** Importing snapshot...', line].join('\n');
      const failure = recogniseLilyFailure({ container: 'init-datastore' }, [log]);
      assert.equal(failure?.reason, 'lily-snapshot');
      assert.equal(failure.line, line);
    });
  }

  it('a full disk is named before the import that it made fail: lily-disk', () => {
    const log = [
      '*** Importing snapshot...',
      'importing chain failed: write /var/lib/lily/datastore/chain/000123.vlog: no space left on device',
    ].join('\n');
    const failure = recogniseLilyFailure({ container: 'init-datastore', workload: 'x-daemon' }, [
      log,
    ]);
    assert.equal(failure?.reason, 'lily-disk');
    assert.match(
      failure.remedy,
      /daemon\.volumes\.datastore\.enabled: true` with a larger `daemon\.volumes\.datastore\.size`/,
    );
  });

  it('wait-api timed out: lily-api', () => {
    const failure = recogniseLilyFailure(DAEMON, ['timed out waiting for api to come online']);
    assert.equal(failure?.reason, 'lily-api');
    assert.match(failure.remedy, /apiWaitTimeout/);
  });

  it("init-sync's hidden wait-api: `exit with code` before the sync started is lily-api", () => {
    const log = [
      'Starting daemon...',
      '{"level":"info","ts":"2026-12-04T10:00:00.000Z","logger":"lily/commands","caller":"commands/setup.go:77","msg":"lily version:v0.24.3"}',
      'exit with code 1',
    ].join('\n');
    const failure = recogniseLilyFailure({ container: 'init-sync' }, [log]);
    assert.equal(failure?.reason, 'lily-api');
    assert.equal(failure.line, 'exit with code 1');
  });

  it("init-sync's `exit with code` is not the API once the sync started", () => {
    const log = [
      'Starting daemon...',
      'Waiting for network sync to complete...',
      'exit with code 1',
    ].join('\n');
    assert.equal(recogniseLilyFailure({ container: 'init-sync' }, [log]), undefined);
  });

  it('strips \\r-redrawn progress and terminal escapes before matching', () => {
    const log = `Worker: 0; Base: 1; Target: 2 (diff: 1)\r\x1b[2K\x1b[A${PING}dial tcp 10.0.0.5:5432: connect: connection refused`;
    const failure = recogniseLilyFailure(INIT_DATABASE, [log]);
    assert.equal(failure?.line, `${PING}dial tcp 10.0.0.5:5432: connect: connection refused`);
  });

  it('an unknown line is no Lily failure', () => {
    assert.equal(
      recogniseLilyFailure(DAEMON, [
        '{"level":"fatal","msg":"chain store: loading head: blockstore: file does not exist"}',
      ]),
      undefined,
    );
  });

  it('the newest output decides when each holds a known line', () => {
    const failure = recogniseLilyFailure(INIT_DATABASE, [
      migrateLog('verify schema: schema not installed in database'),
      migrateLog(`${PING}FATAL #28P01 password authentication failed for user "lily"`),
    ]);
    assert.equal(failure?.reason, 'lily-schema');
  });
});

describe('hookOutput', () => {
  it("reads the hook's output out of the kubelet's words, never its command (which holds every marker)", () => {
    const script =
      'echo "Waiting for api to become ready..."\nlily wait-api --timeout="60s" >/dev/null 2>&1\n';
    const message = `Exec lifecycle hook ([/bin/sh -c ${script}]) for Container "daemon" in Pod "lily-0_ns(uid)" failed - error: command '/bin/sh -c ${script}' exited with 1: , message: "Waiting for api to become ready...\\nexit with code 1\\n"`;
    assert.equal(hookOutput(message), 'Waiting for api to become ready...\nexit with code 1\n');
  });

  it('undoes Go quoting: quotes, backslashes, \\x and \\u escapes', () => {
    assert.equal(
      hookOutput('failed - error: x, message: "unknown storage: \\"db2\\"\\t\\\\ \\x41\\u00e9"'),
      'unknown storage: "db2"\t\\ Aé',
    );
  });

  it('is undefined for an event without the output (kubelets from v1.2x)', () => {
    assert.equal(hookOutput('PostStartHook failed'), undefined);
  });
});

const CRASH: Finding = {
  reason: 'crash-loop',
  pod: 'lily-lily-dev-mainnet-daemon-0',
  container: 'init-database',
  fatal: true,
  summary:
    'container init-database of pod lily-lily-dev-mainnet-daemon-0 is crash-looping: restarted 3 time(s); last exit code 1 (Error)',
  remedy: 'generic',
};

describe('withLilyCause', () => {
  it("names a crash loop after Lily's line: the headline quotes it, the crash's facts stay", () => {
    const line = `${PING}FATAL #28P01 password authentication failed for user "lily"`;
    const refined = withLilyCause(CRASH, { logs: [migrateLog(line)], hookFailures: [] });
    assert.deepEqual(refined, {
      ...CRASH,
      reason: 'lily-database',
      summary: `Postgres refused the password of user "lily": "${line}" (${CRASH.summary})`,
      remedy:
        'The password in the database Secret is not the password of role "lily": fix database-password (or the password in database-url), or the role\'s password in Postgres (ALTER ROLE … PASSWORD). lily-deploy writes the Secret on every deploy.',
    });
  });

  it('keeps a crash loop without a known line as it is: a guess never replaces it', () => {
    assert.equal(withLilyCause(CRASH, { logs: ['something else'], hookFailures: [] }), CRASH);
  });

  it('keeps an OOM kill: its cause is known already', () => {
    const oom = { ...CRASH, reason: 'oom-killed' as const };
    const line = `${PING}dial tcp 10.0.0.5:5432: connect: connection refused`;
    assert.equal(withLilyCause(oom, { logs: [line], hookFailures: [] }), oom);
  });

  const hookCrash = {
    ...CRASH,
    container: 'daemon',
    summary: 'container daemon of pod p is crash-looping',
  };

  it("a failed postStart hook: its output decides (a job's database error is lily-database)", () => {
    const message = `Exec lifecycle hook ([/bin/sh -c …]) for Container "daemon" in Pod "p" failed - error: command exited with 1: , message: "Starting jobs...\\nconnect: ping database retry attempt: ping database: FATAL #28P01 password authentication failed for user \\"lily\\"\\nexit with code 1\\n"`;
    const refined = withLilyCause(hookCrash, { logs: [], hookFailures: [message] });
    assert.equal(refined.reason, 'lily-database');
  });

  it('a failed postStart hook whose wait for the API gave up: lily-api', () => {
    const message = 'x, message: "Waiting for api to become ready...\\nexit with code 1\\n"';
    const refined = withLilyCause(hookCrash, { logs: [], hookFailures: [message] });
    assert.equal(refined.reason, 'lily-api');
    assert.match(refined.summary, /the chart hides its output\): "exit with code 1"/);
  });

  it('a failed postStart hook with a kind flag in jobArgs: lily-api, saying where the flag goes', () => {
    const message = `x, message: "Starting jobs...\\nIncorrect Usage: flag provided but not defined: -confidence\\n\\nflag provided but not defined: -confidence\\nexit with code 1\\n"`;
    const refined = withLilyCause(hookCrash, {
      workload: 'lily-lily-dev-mainnet-daemon',
      logs: [],
      hookFailures: [message],
    });
    assert.equal(refined.reason, 'lily-api');
    assert.match(refined.summary, /"flag provided but not defined: -confidence"/);
    assert.match(refined.remedy, /move it to daemon\.jobs\[i\]\.commandArgs/);
  });

  it("a failed postStart hook whose output the kubelet kept: lily-api, quoting the kubelet's words", () => {
    const refined = withLilyCause(hookCrash, { logs: [], hookFailures: ['PostStartHook failed'] });
    assert.equal(refined.reason, 'lily-api');
    assert.match(
      refined.summary,
      /the kubelet keeps the hook's output in its own log\): "PostStartHook failed"/,
    );
  });
});

/** init-database running since 13:56:00, Lily retrying silently. */
const checkingDatabase = (): Pod =>
  JSON.parse(
    readFileSync(new URL('fixtures/pod-checking-database.json', import.meta.url), 'utf8'),
  ) as Pod;

describe('the silent retry', () => {
  const at = (time: string) => ({
    now: Date.parse(`2026-11-21T${time}Z`),
    databaseTimeoutMs: 180_000,
    databaseTimeout: '3m',
  });

  it('init-database without an answer past database-timeout: lily-database, the usual causes in order', () => {
    const finding = silentDatabaseFinding(checkingDatabase(), at('13:59:30'));
    assert.equal(finding?.reason, 'lily-database');
    assert.equal(finding.fatal, true);
    assert.equal(
      finding.summary,
      'The database has not answered Lily for 210 s (database-timeout 3m): container init-database of pod lily-lily-dev-mainnet-daemon-0 is still in `lily migrate --schema`, and Lily (v0.17.3 and later) retries a database connection silently for up to 15 minutes',
    );
    assert.match(
      finding.remedy,
      /^The usual causes, the most likely first: 1\. the password in the Secret is wrong \(Postgres refuses it: #28P01\); 2\. the host or port is wrong[^;]*; 3\. the TLS setting does not match[^;]*; 4\. the database does not exist/,
    );
  });

  it('is nothing within the bound', () => {
    assert.equal(silentDatabaseFinding(checkingDatabase(), at('13:58:00')), undefined);
  });

  it('is nothing once init-database ended', () => {
    const pod = checkingDatabase();
    const status = pod.status?.initContainerStatuses?.[2];
    if (status) status.state = { terminated: { exitCode: 1 } };
    assert.equal(silentDatabaseFinding(pod, at('13:59:30')), undefined);
  });
});

describe('withLilyCauses (the failure path)', () => {
  it("reads the crashed container's logs (current run first) and its pod's hook events", () => {
    const pod = {
      metadata: {
        name: CRASH.pod,
        ownerReferences: [{ kind: 'StatefulSet', name: 'lily-lily-dev-mainnet-daemon' }],
      },
      status: {},
    } as Pod;
    const reports = [
      {
        name: CRASH.pod,
        description: [],
        deleted: false,
        logs: [
          {
            container: 'init-database',
            previous: true,
            text: migrateLog('verify schema: schema not installed in database'),
          },
          {
            container: 'init-database',
            previous: false,
            text: migrateLog(`${PING}dial tcp 10.0.0.5:5432: connect: connection refused`),
          },
          {
            container: 'init-sync',
            previous: false,
            text: 'timed out waiting for api to come online',
          },
        ],
      },
    ];
    const events: KubeEvent[] = [];
    const [refined] = withLilyCauses([CRASH], [pod], reports, events);
    assert.equal(refined?.reason, 'lily-database');
    assert.match(refined.summary, /^Nothing listens at 10\.0\.0\.5:5432: /);
  });
});

describe('failedHookFindings', () => {
  const pod = (state: object, restartCount: number): Pod => ({
    metadata: {
      name: 'lily-lily-dev-mainnet-daemon-0',
      ownerReferences: [{ kind: 'StatefulSet', name: 'lily-lily-dev-mainnet-daemon' }],
    },
    status: {
      containerStatuses: [
        {
          name: 'daemon',
          ready: false,
          restartCount,
          state,
          // Lily shuts down gracefully when the kubelet stops it.
          lastState: { terminated: { exitCode: 0, reason: 'Completed' } },
        },
      ],
    },
  });
  const event = (message: string): KubeEvent => ({
    metadata: { name: 'e' },
    reason: 'FailedPostStartHook',
    message,
    involvedObject: {
      kind: 'Pod',
      name: 'lily-lily-dev-mainnet-daemon-0',
      fieldPath: 'spec.containers{daemon}',
    },
  });

  it('a kubelet that keeps the output (v1.2x and later): lily-api, quoting its words, fatal from the threshold', () => {
    const [finding] = failedHookFindings(
      pod({ running: { startedAt: '2026-12-04T10:00:00Z' } }, 2),
      [event('PostStartHook failed')],
      2,
    );
    assert.deepEqual(
      { reason: finding?.reason, fatal: finding?.fatal, summary: finding?.summary },
      {
        reason: 'lily-api',
        fatal: true,
        summary:
          'Lily\'s start-up hook (postStart: wait for the API, sync, start the jobs) failed, which kills the container (the kubelet keeps the hook\'s output in its own log): "PostStartHook failed" (container daemon of pod lily-lily-dev-mainnet-daemon-0 restarted 2 time(s) after its postStart hook failed)',
      },
    );
    assert.match(finding?.remedy ?? '', /journalctl -u kubelet/);
  });

  it("the container's PostStartHookError status carries the output: what it says decides", () => {
    const [finding] = failedHookFindings(
      pod(
        {
          waiting: {
            reason: 'PostStartHookError',
            message:
              'Exec lifecycle hook ([/bin/sh -c …]) for Container "daemon" in Pod "p" failed - error: command exited with 1: , message: "Starting jobs...\\nschema not installed in database\\nexit with code 1\\n"',
          },
        },
        1,
      ),
      [event('PostStartHook failed')],
      3,
    );
    assert.equal(finding?.reason, 'lily-schema');
    assert.equal(finding.fatal, false);
  });

  it('is nothing before a restart, or without a failed hook', () => {
    assert.deepEqual(
      failedHookFindings(
        pod({ waiting: { reason: 'ContainerCreating' } }, 0),
        [event('PostStartHook failed')],
        1,
      ),
      [],
    );
    assert.deepEqual(failedHookFindings(pod({ running: {} }, 3), [], 1), []);
  });
});
