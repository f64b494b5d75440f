// Development aid, not a test: starts a local cluster, installs the lily
// fixture chart the healthy way and in each failing way, and prints what a
// deployer would see (pod states, logs, events) with timings.
//
//   node_modules/.bin/tsx test/cluster/smoke.ts
//
// With E2E_KUBECONFIG set it runs against that cluster instead (the failure
// behaviors then depend on that cluster, not on kwok).

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { helmEnv, helmTool, removeHelmHome, tempHelmHome } from '../support/tools.js';
import { startCluster } from './cluster.js';

const CHART = fileURLToPath(new URL('../fixtures/charts/lily', import.meta.url));
// The chart's biting defaults off (README's file), and requests that fit the fake node.
const BASE_VALUES = [
  '--values',
  fileURLToPath(new URL('../../examples/lily-daemon-values.yaml', import.meta.url)),
  '--values',
  fileURLToPath(new URL('../fixtures/values/kwok-small.yaml', import.meta.url)),
];
const NAMESPACE = 'lily-smoke';
const t0 = Date.now();
const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`;
const say = (line: string) => {
  console.log(`${stamp()} ${line}`);
};
const timings: [string, number][] = [];
const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
  const start = Date.now();
  const result = await fn();
  const ms = Date.now() - start;
  timings.push([what, ms]);
  say(`${what}: ${(ms / 1000).toFixed(1)}s`);
  return result;
};

const tool = await helmTool(4);
const home = await tempHelmHome();
const cluster = await timed('start cluster', () =>
  startCluster({
    log: (line) => {
      say(`  ${line}`);
    },
    kubectl: tool.kubectl,
  }),
);
say(cluster.description);
// HOME too: kubectl and helm keep a discovery cache under ~/.kube/cache.
const env = helmEnv(home, { KUBECONFIG: cluster.kubeconfig, HOME: home.root });

function run(file: string, args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, out: (stdout + stderr).trimEnd() });
    });
    child.stdin?.end(input ?? '');
  });
}
const kubectl = (...args: string[]) => run(tool.kubectl, ['--namespace', NAMESPACE, ...args]);
const helm = (...args: string[]) => run(tool.helm, ['--namespace', NAMESPACE, ...args]);
const must = async (p: Promise<{ code: number; out: string }>) => {
  const r = await p;
  if (r.code !== 0) throw new Error(r.out);
  return r.out;
};
const show = (title: string, text: string) => {
  console.log(`${stamp()} ${title}\n${text.replace(/^/gm, '    ')}`);
};

try {
  await must(run(tool.kubectl, ['create', 'namespace', NAMESPACE]));
  await must(
    kubectl(
      'create',
      'secret',
      'generic',
      'lily-db',
      '--from-literal=url=postgres://lily:secret@db.example:5432/lily?sslmode=require',
    ),
  );

  const storage = [
    '--set',
    'daemon.storage.postgresql[0].name=db',
    '--set',
    'daemon.storage.postgresql[0].secretName=lily-db',
    '--set',
    'daemon.storage.postgresql[0].schema=lily',
  ];
  // 1. healthy: daemon mode, datastore volume, one storage entry, helm --wait.
  const install = await timed('helm install --wait=watcher (ready, daemon mode, PVC)', () =>
    helm(
      'install',
      'ready',
      CHART,
      ...BASE_VALUES,
      '--set',
      'deploymentType=daemon',
      ...storage,
      '--set',
      'daemon.volumes.datastore.enabled=true',
      '--set',
      'daemon.volumes.datastore.size=1Gi',
      '--wait=watcher',
      '--timeout',
      '2m',
    ),
  );
  show(`helm install exit ${install.code}`, install.out);
  const readyPod = 'lily-ready-dev-mainnet-daemon-0';
  show('pod + PVC', await must(kubectl('get', 'pods,pvc', '-o', 'wide')));
  show(
    'pod Ready condition',
    await must(
      kubectl(
        'get',
        'pod',
        readyPod,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      ),
    ),
  );
  show(
    'PVC phase',
    await must(
      kubectl(
        'get',
        'pvc',
        `datastore-volume-lily-ready-dev-mainnet-daemon-0`,
        '-o',
        'jsonpath={.status.phase}',
      ),
    ),
  );
  show(`kubectl logs ${readyPod} -c daemon`, (await kubectl('logs', readyPod, '-c', 'daemon')).out);
  show(
    `kubectl logs ${readyPod} -c init-database`,
    (await kubectl('logs', readyPod, '-c', 'init-database')).out,
  );
  show(
    `kubectl logs ${readyPod} -c daemon --previous`,
    (await kubectl('logs', readyPod, '-c', 'daemon', '--previous')).out,
  );

  // 2. failing variants, no --wait.
  const variants = [
    { release: 'crash', args: ['--set', 'test.behavior=crash-loop', ...storage] },
    {
      release: 'pull',
      args: ['--set', 'test.behavior=image-pull', '--set', 'image.tag=v9.9.9-missing'],
    },
    {
      release: 'cfg',
      args: [
        '--set',
        'test.behavior=config-error',
        '--set',
        'daemon.storage.postgresql[0].name=db',
        '--set',
        'daemon.storage.postgresql[0].secretName=no-such-secret',
      ],
    },
  ];
  const installedAt = Date.now();
  for (const v of variants) {
    const r = await helm(
      'install',
      v.release,
      CHART,
      ...BASE_VALUES,
      '--set',
      'deploymentType=daemon',
      ...v.args,
    );
    say(`helm install ${v.release}: exit ${r.code}`);
  }
  const wanted: Record<string, (s: string) => boolean> = {
    crash: (s) => /CrashLoopBackOff/.test(s) && Number(/restarts=(\d+)/.exec(s)?.[1] ?? 0) >= 3,
    pull: (s) => /ImagePullBackOff/.test(s),
    cfg: (s) => /CreateContainerConfigError/.test(s),
  };
  const seen: Record<string, number> = {};
  const firstSeen: Record<string, [string, number]> = {};
  while (Date.now() - installedAt < 40_000 && Object.keys(seen).length < variants.length) {
    for (const v of variants) {
      const pod = `lily-${v.release}-dev-mainnet-daemon-0`;
      const r = await kubectl(
        'get',
        'pod',
        pod,
        '-o',
        'jsonpath={range .status.initContainerStatuses[*]}{.name}:{.state.waiting.reason}{" "}{end}|{range .status.containerStatuses[*]}{.name}:{.state.waiting.reason}{.state.running.startedAt} restarts={.restartCount}{end}',
      );
      const reason =
        /(CrashLoopBackOff|ErrImagePull|ImagePullBackOff|CreateContainerConfigError)/.exec(
          r.out,
        )?.[1];
      if (reason && !firstSeen[v.release])
        firstSeen[v.release] = [reason, Date.now() - installedAt];
      if (!(v.release in seen) && wanted[v.release]?.(r.out)) {
        seen[v.release] = Date.now() - installedAt;
        say(`${v.release}: ${r.out}`);
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  for (const v of variants) {
    const first = firstSeen[v.release];
    if (first) timings.push([`${v.release}: first failure reason ${first[0]}`, first[1]]);
    timings.push([`${v.release}: settled state reached`, seen[v.release] ?? NaN]);
  }
  show('pods', await must(kubectl('get', 'pods', '-o', 'wide')));
  for (const v of variants) {
    const pod = `lily-${v.release}-dev-mainnet-daemon-0`;
    show(
      `${pod} statuses`,
      await must(
        kubectl(
          'get',
          'pod',
          pod,
          '-o',
          'jsonpath={range .status.initContainerStatuses[*]}init {.name}: {.state}{"\\n"}{end}{range .status.containerStatuses[*]}{.name}: restarts={.restartCount} state={.state} last={.lastState}{"\\n"}{end}',
        ),
      ),
    );
    show(`kubectl logs ${pod} -c daemon`, (await kubectl('logs', pod, '-c', 'daemon')).out);
    show(
      `kubectl logs ${pod} -c daemon --previous`,
      (await kubectl('logs', pod, '-c', 'daemon', '--previous')).out,
    );
    show(
      `events of ${pod}`,
      await must(
        kubectl(
          'get',
          'events',
          '--field-selector',
          `involvedObject.name=${pod}`,
          '-o',
          'custom-columns=TYPE:.type,REASON:.reason,COUNT:.count,MESSAGE:.message',
        ),
      ),
    );
  }

  // 3. uninstall keeps the PVC (as on a real cluster).
  await timed('helm uninstall ready --wait', () => helm('uninstall', 'ready', '--wait'));
  show('PVCs after uninstall', await must(kubectl('get', 'pvc')));
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await timed('stop cluster', () => cluster.stop());
  await removeHelmHome(home);
  console.log('\ntimings:');
  for (const [what, ms] of timings)
    console.log(`  ${(ms / 1000).toFixed(1).padStart(6)}s  ${what}`);
}
