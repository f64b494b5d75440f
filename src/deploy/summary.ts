import { formatDuration } from '../inputs/duration.js';
import { code, collapsed, escapeCell } from '../markdown.js';
import type { ReleaseStatus } from '../helm/helm.js';

export interface DeploySummary {
  release: ReleaseStatus;
  notes: string;
  chartSource: string;
  helmVersion: string;
  helmFromCache: boolean;
  kubernetesVersion: string;
  secretName?: string;
  durationMs: number;
  /** What lily-deploy deleted besides helm's work, one line each. */
  interventions: string[];
  /** What the verify window verified, one line per check; undefined when it is off. */
  verified?: string[];
  /** The Lily start-up's phase table (Markdown lines); none without Lily pods. */
  startup?: string[];
  /** wait-for: started: the start-ups are under way, not finished. */
  startedOnly?: boolean;
}

/** The job summary of a deploy, as Markdown. */
export function renderDeploySummary(s: DeploySummary): string {
  const r = s.release;
  const rows: [string, string][] = [
    ['Release', code(r.name)],
    ['Namespace', code(r.namespace)],
    ['Chart', `${code(`${r.chartName}@${r.chartVersion}`)} from ${s.chartSource}`],
    ['App version', r.appVersion || '–'],
    ['Revision', String(r.revision)],
    ['Status', r.status],
    [
      'Helm',
      `v${s.helmVersion}${s.helmFromCache ? ' (tool cache)' : ' (downloaded, sha256 verified)'}`,
    ],
    ['Kubernetes', s.kubernetesVersion],
    ['Database Secret', s.secretName ? code(s.secretName) : '–'],
    [
      'Verified',
      s.startedOnly
        ? 'not yet: wait-for is started (`command: status` reports on the release later)'
        : s.verified
          ? s.verified.join('; ')
          : 'off (verify: false)',
    ],
    ['Duration', formatDuration(s.durationMs)],
  ];
  const lines = [
    `### Lily deployed: ${code(r.name)} in ${code(r.namespace)}`,
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([key, value]) => `| ${key} | ${escapeCell(value)} |`),
    '',
  ];
  if (s.interventions.length > 0) lines.push(...s.interventions.map((line) => `- ${line}`), '');
  if (s.startedOnly)
    lines.push(
      'Lily is still starting: helm applied the release and every Lily pod is scheduled with its start-up under way (wait-for: started). ' +
        'Nothing waited for Ready; run the action with `command: status` (a scheduled workflow) to follow it.',
      '',
    );
  lines.push(...(s.startup ?? []));
  if (s.notes.trim() !== '') lines.push(...collapsed('Chart notes', s.notes));
  return lines.join('\n');
}

export interface UninstallSummary {
  release: string;
  namespace: string;
  deleted: string[];
  kept: string[];
  durationMs: number;
}

/** The job summary of an uninstall: every object deleted, and what was kept and why. */
export function renderUninstallSummary(s: UninstallSummary): string {
  const lines = [`### Lily uninstalled: ${code(s.release)} in ${code(s.namespace)}`, ''];
  if (s.deleted.length === 0) lines.push('Nothing was left to delete.', '');
  else lines.push('Deleted:', '', ...s.deleted.map((d) => `- ${d}`), '');
  if (s.kept.length > 0) lines.push('Kept:', '', ...s.kept.map((k) => `- ${k}`), '');
  lines.push(`Duration: ${formatDuration(s.durationMs)}`, '');
  return lines.join('\n');
}

/** The job summary of a deploy the preflight stopped before any change by helm. */
export function renderPreflightFailure(
  release: string,
  namespace: string,
  problems: { reason: string; summary: string; remedy: string }[],
): string {
  return [
    `### Lily deploy failed: ${code(release)} in ${code(namespace)} (${problems[0]?.reason ?? 'preflight'})`,
    '',
    'Found before helm ran (the release was not changed):',
    '',
    ...problems.flatMap((p) => [`- **${p.reason}**: ${p.summary}`, `  - Remedy: ${p.remedy}`]),
    '',
  ].join('\n');
}
