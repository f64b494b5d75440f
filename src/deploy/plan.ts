import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as core from '@actions/core';
import { startedEarly } from '../background.js';
import type { ClusterAccess } from '../cluster-access.js';
import { DeployError } from '../failure-reason.js';
import { commandLineValues } from '../helm/flags.js';
import type { DryRunRelease } from '../helm/helm.js';
import type { ReleaseRecord } from '../helm/release-store.js';
import { readLiveObjects } from '../kube/live-objects.js';
import { parseManifest } from '../kube/manifest.js';
import {
  readServedResources,
  servedResource,
  type ServedResources,
} from '../kube/served-resources.js';
import { deniedLine } from '../preflight/access-review.js';
import { type PreflightResult, readAheadForPreflight } from '../preflight/check-cluster.js';
import { formatDigest, type PlanDigest } from '../plan-digest.js';
import { planChanges, valuesDiff } from '../plan/diff.js';
import { digestMismatch, digestParts } from '../plan/digest.js';
import {
  displayName,
  liveObject,
  type PlanObject,
  renderedObjects,
  withoutFields,
} from '../plan/objects.js';
import {
  changeCount,
  createPlanFile,
  type PlanFile,
  planFileJson,
  type Validation,
} from '../plan/plan-file.js';
import { namedSecretValues, takenForSecrets, valuesAtKeys } from '../plan/redact.js';
import { renderPlanSummary } from '../plan/render.js';
import type { Settings } from '../settings.js';
import { keepStickyComment } from './plan-comment.js';
import { keptSchemasDir, settleOnPreflight } from './preflight-gate.js';
import { type DeployContext, type Prepared, prepare, upgradeOptions } from './prepare.js';

// command: plan, and the two places a deploy meets plans: it refuses a
// plan-digest that is not what it would apply, and it reports what its
// revision changed in the same form. The diffing and redaction are plan/'s.

/** The live release as a plan sees it: its latest record, or why it could not be read. */
interface LiveRelease {
  record?: ReleaseRecord;
  unreadable?: string;
}

/** What the release would become, and whether the API server checked it. */
interface Rendered {
  manifest: string;
  chartVersion: string;
  validation: Validation;
}

/** Everything a deploy does up to helm, then a server-side dry run and a diff against what is live. */
export async function plan(ctx: DeployContext): Promise<void> {
  const { settings, cluster } = ctx;
  const live: LiveRelease = {};
  const prepared = await prepare(
    ctx,
    async () => {
      await readLiveRelease(settings, cluster, live);
      return live.record;
    },
    { readsSecret: false, serverSideRender: true },
  );
  const checked = await core.group('Preflight', async () => {
    const result = await prepared.checked;
    // Denied rights make the plan local; dropped fields are left out of the diff (notes, not warnings).
    await settleOnPreflight(settings, cluster, {
      ...result,
      denied: result.denied.filter((d) => !d.required),
      undeclared: [],
    });
    return result;
  });
  const rendered = await render(prepared, checked, live);
  const file = await core.group('Diff against the live release', () =>
    diffAgainstLive(ctx, prepared, live, rendered, checked.undeclared),
  );
  await publishPlan(ctx, file);
}

async function readLiveRelease(
  settings: Settings,
  cluster: ClusterAccess,
  live: LiveRelease,
): Promise<void> {
  try {
    live.record = await cluster.releases.latest(settings.release, settings.namespace);
    // The new revision is most likely made of the live one's kinds: what the
    // preflight reads for them is read while the dry run renders.
    if (live.record) {
      const api = await cluster.api();
      void readAheadForPreflight(api, live.record.manifest, keptSchemasDir()).catch(
        () => undefined,
      );
    }
    core.info(
      live.record
        ? `Release ${settings.release}: revision ${live.record.revision}, ${live.record.status}, chart ${live.record.chartVersion}`
        : `Release ${settings.release} does not exist yet: planning a first install`,
    );
  } catch (err) {
    live.unreadable = (err as Error).message;
    core.warning(`${live.unreadable}: planning without the live release`);
  }
}

/**
 * The server-side dry run; with credentials that may not make the change (it
 * would be refused, as the change itself would be), the preflight's local
 * render, saying why.
 */
async function render(
  prepared: Prepared,
  checked: PreflightResult,
  live: LiveRelease,
): Promise<Rendered> {
  const denied = checked.denied.filter((d) => d.required);
  const readOnly = live.unreadable
    ? `helm's release records cannot be read (${live.unreadable})`
    : denied.length > 0
      ? `these credentials may not ${deniedLine(denied)} (asked with SelfSubjectAccessReviews)`
      : undefined;
  if (readOnly === undefined) {
    const release = await core.group(
      'helm upgrade --install --dry-run=server',
      () => prepared.dryRun as Promise<DryRunRelease>,
    );
    return { ...release, validation: { serverSide: true } };
  }
  const reason = `${readOnly}, and a server-side dry run needs the same permissions as the change; the chart was rendered locally (helm template)`;
  core.warning(`Server-side validation skipped: ${reason}`, { title: 'lily-deploy: plan' });
  return {
    manifest: checked.manifest,
    chartVersion: prepared.chart.version,
    validation: { serverSide: false, reason },
  };
}

/** The plan: each object of the new and the previous release against its live self. */
async function diffAgainstLive(
  ctx: DeployContext,
  prepared: Prepared,
  live: LiveRelease,
  rendered: Rendered,
  undeclared: PreflightResult['undeclared'],
): Promise<PlanFile> {
  const { settings, cluster } = ctx;
  const secrets = await planSecrets(ctx, prepared, live.record?.config);
  const previousManifest = live.record?.manifest ?? '';
  const api = await cluster.api();
  const served = await readServedResources(
    api,
    [rendered.manifest, previousManifest].flatMap((m) => parseManifest(m).map((o) => o.apiVersion)),
  );
  const objectsOf = (manifest: string) => releaseObjects(manifest, settings.namespace, served);
  const [desired, previous] = [
    withoutDroppedFields(objectsOf(rendered.manifest), undeclared),
    objectsOf(previousManifest),
  ];
  const read = await readLiveObjects(api, served, uniqueObjects([...desired, ...previous]));
  const unread = new Set(read.unreadable.map(({ ref }) => displayName(ref)));
  const compared = (objects: PlanObject[]) => objects.filter((o) => !unread.has(displayName(o)));
  const changes = planChanges(
    compared(desired),
    read.found.flatMap((json) => liveObject(json) ?? []),
    compared(previous),
    secrets,
  );
  return createPlanFile({
    release: settings.release,
    namespace: settings.namespace,
    chart: prepared.chart.name,
    parts: digestParts({
      manifest: rendered.manifest,
      chartVersion: rendered.chartVersion,
      values: prepared.values.values,
      liveRevision: live.record?.revision,
    }),
    validation: rendered.validation,
    changes,
    values: valuesDiff(live.record?.config, prepared.values.values, secrets),
    notes: [
      ...undeclared.map(
        ({ object, fields }) =>
          `${displayName({ ...object, namespace: object.namespace || settings.namespace })}: ${fields.map((f) => f.path).join(', ')} not compared: fields the API server's schema does not declare are dropped by the server, never live.`,
      ),
      ...read.unreadable.map(
        ({ ref, reason }) =>
          `${displayName(ref)} was not compared: these credentials may not read it (${reason}).`,
      ),
      ...(live.unreadable
        ? [
            "The release's records could not be read: objects the new chart drops are not shown, and the digest is made as for a first install, so a deploy given it refuses while the release exists.",
          ]
        : []),
    ],
  });
}

/**
 * What a plan masks: the action's secrets, the user's values named like
 * secrets (the chart may put them under any name), and every value
 * extra-args sets on helm's command line (--set…, a --set-file's content),
 * which no key names, with what the live release holds at the keys it sets.
 */
async function planSecrets(
  { secrets }: DeployContext,
  prepared: Prepared,
  liveValues?: Record<string, unknown>,
): Promise<string[]> {
  const { values, files, keys } = commandLineValues(prepared.extraArgs);
  const contents = await Promise.all(
    files.map((file) =>
      readFile(file, 'utf8').then(
        (text) => [text, text.trim()],
        () => [],
      ),
    ),
  );
  return [
    ...secrets,
    ...namedSecretValues(prepared.values.values, liveValues),
    ...takenForSecrets([...values, ...contents.flat(), ...valuesAtKeys(liveValues, keys)]),
  ];
}

function releaseObjects(manifest: string, namespace: string, served: ServedResources) {
  return renderedObjects(manifest, {
    namespace,
    isClusterScoped: (apiVersion, kind) =>
      servedResource(served, apiVersion, kind)?.namespaced === false,
  });
}

/** The objects without the fields the API server drops (see the preflight's schema check). */
function withoutDroppedFields(
  objects: PlanObject[],
  undeclared: PreflightResult['undeclared'],
): PlanObject[] {
  return objects.map((o) => {
    const dropped = undeclared.find(
      ({ object }) =>
        object.apiVersion === o.apiVersion && object.kind === o.kind && object.name === o.name,
    );
    return dropped
      ? {
          ...o,
          body: withoutFields(
            o.body,
            dropped.fields.map((f) => f.keys),
          ),
        }
      : o;
  });
}

function uniqueObjects(objects: PlanObject[]): PlanObject[] {
  return [...new Map(objects.map((o) => [o.key, o])).values()];
}

/** The log, the outputs, the plan file, the job summary and the pull request's comment. */
async function publishPlan({ settings, run }: DeployContext, file: PlanFile): Promise<void> {
  const { added, changed, removed, unchanged } = file.counts;
  // The diffs are in the job summary and the plan file; the log lists what changes.
  core.info(
    `Plan: ${added} to add, ${changed} to change, ${removed} to remove, ${unchanged} unchanged`,
  );
  for (const c of file.changes.filter((c) => c.change !== 'unchanged'))
    core.info(
      `  ${c.object}: ${c.change}${c.fields.length > 0 ? ` (${c.fields.join(', ')})` : ''}`,
    );
  if (file.valuesFieldChanges.length > 0) core.info('  user-supplied values: changed');
  for (const note of file.notes) core.notice(note, { title: 'lily-deploy: plan' });
  const path = join(process.env.RUNNER_TEMP || tmpdir(), `lily-deploy-plan-${file.release}.json`);
  await writeFile(path, planFileJson(file), { mode: 0o600 });
  core.info(`Plan digest: ${file.digest}\nPlan file: ${path}`);
  core.setOutput('changes', String(changeCount(file)));
  core.setOutput('plan', path);
  core.setOutput('plan-digest', file.digest);
  core.setOutput('chart-version', file.chartVersion);
  await core.summary.addRaw(renderPlanSummary(file)).write();
  await keepStickyComment(settings, run, file);
}

/**
 * Refuses, before any change, to deploy anything but the reviewed plan: the
 * same dry run the plan made, digested the same way.
 */
export async function checkPlanDigest(
  { settings, cluster }: DeployContext,
  prepared: Prepared,
  planned: PlanDigest,
): Promise<void> {
  const release = await cluster.helm.dryRun(upgradeOptions(settings, prepared, prepared.extraArgs));
  const mismatch = digestMismatch(planned, {
    manifest: release.manifest,
    chartVersion: release.chartVersion,
    values: prepared.values.values,
    liveRevision: prepared.previousRevision || undefined,
  });
  if (mismatch)
    throw new DeployError(
      'plan-mismatch',
      `Deploy of ${settings.release} refused before any change: ${mismatch}`,
    );
  core.info(`This deploy applies the reviewed plan: ${formatDigest(planned)}`);
}

/** What a deployed revision changed, for the report. */
export interface AppliedChanges {
  /** helm has ended, however: its record of the new revision is no longer looked for. */
  helmEnded(): void;
  /** The changes of the release helm deployed, as the job summary shows them. */
  of(release: ReleaseRecord): Promise<string>;
}

// How often, and how long, helm's record of the revision it deploys is looked for.
const RECORD_POLL_MS = 100;
const RECORD_WAIT_MS = 10_000;

/**
 * What the deployed revision changed, against the previous revision's
 * manifest, as the job summary shows it (a preview's comment too). Started
 * when helm starts: the previous revision and the values to redact are read
 * while helm waits. helm records the new revision, manifest and all, before
 * it applies it: its changes are worked out then, while helm waits, and stand
 * if the release read back has that manifest. Only reporting: a failure to
 * work it out is a warning.
 */
export function appliedChanges(ctx: DeployContext, prepared: Prepared): AppliedChanges {
  const { settings, cluster, run } = ctx;
  const { namespace } = settings;
  const objectsOf = (manifest: string) => renderedObjects(manifest, { namespace });
  const before = startedEarly(
    (prepared.previousRevision > 0
      ? cluster.releases.manifest(settings.release, namespace, prepared.previousRevision)
      : Promise.resolve('')
    ).then((manifest) => objectsOf(manifest ?? '')),
  );
  const secrets = startedEarly(planSecrets(ctx, prepared));
  const workOut = async (manifest: string, chartVersion: string) => ({
    manifest,
    parts: digestParts({
      manifest,
      chartVersion,
      values: prepared.values.values,
      liveRevision: prepared.previousRevision || undefined,
    }),
    changes: planChanges(objectsOf(manifest), await before, await before, await secrets),
  });
  const looking = new AbortController();
  let early: Awaited<ReturnType<typeof workOut>> | undefined;
  // Records only helm reads would take a helm process per look.
  if (cluster.releases.storage !== 'helm')
    void (async () => {
      const revision = prepared.previousRevision + 1;
      const deadline = Date.now() + RECORD_WAIT_MS;
      while (Date.now() < deadline) {
        await sleep(RECORD_POLL_MS, undefined, { ref: false, signal: looking.signal });
        const manifest = await cluster.releases
          .manifest(settings.release, namespace, revision)
          .catch(() => undefined);
        if (manifest !== undefined && !looking.signal.aborted) {
          early = await workOut(manifest, prepared.chart.version);
          return;
        }
      }
    })().catch(() => undefined);
  const of = async (release: ReleaseRecord) => {
    try {
      const { parts, changes } =
        early?.manifest === release.manifest && early.parts.chartVersion === release.chartVersion
          ? early
          : await workOut(release.manifest, release.chartVersion);
      const file = createPlanFile({
        release: release.name,
        namespace: release.namespace,
        chart: prepared.chart.name,
        parts,
        validation: { serverSide: true },
        changes,
        applied: release.revision,
      });
      if (settings.preview)
        await keepStickyComment(
          settings,
          run,
          file,
          `revision ${release.revision} ${release.status}`,
        );
      return renderPlanSummary(file);
    } catch (err) {
      core.warning(
        `What revision ${release.revision} changed could not be worked out: ${(err as Error).message}`,
      );
      return '';
    }
  };
  return {
    helmEnded: () => {
      looking.abort();
    },
    of,
  };
}
