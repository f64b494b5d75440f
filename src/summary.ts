import { formatDuration } from './duration.js';
import type { ReleaseStatus } from './helm.js';

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
  if (s.notes.trim() !== '') {
    lines.push(
      '<details><summary>Chart notes</summary>',
      '',
      '```text',
      s.notes.trimEnd(),
      '```',
      '',
      '</details>',
      '',
    );
  }
  return lines.join('\n');
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
