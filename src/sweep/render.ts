import { code, escapeCell } from '../markdown.js';
import { pullRequestRef, type SweepDecision } from './decide.js';

// What a sweep reports: the job summary table of every preview found, kept or
// removed and why, and the `swept` output of what it removed.

/** A decision as carried out: `error` when the removal was tried and failed. */
export interface SweepResult extends SweepDecision {
  error?: string;
}

export interface SweepReport {
  results: readonly SweepResult[];
  /** dry-run: nothing was removed; the removals are what would have been. */
  dryRun: boolean;
  /** `owner/name` of the repository the run is for. */
  repository: string;
}

/** One entry of the `swept` output. */
export interface SweptPreview {
  release: string;
  namespace: string;
  repository: string;
  pullRequest: number;
  why: string;
}

/** The `swept` output: a JSON list of the previews removed (with dry-run, that would be). */
export function sweptOutput(results: readonly SweepResult[]): string {
  const swept: SweptPreview[] = results.filter(isRemoved).map(({ preview, why }) => ({
    release: preview.release,
    namespace: preview.namespace,
    repository: preview.marks?.repository ?? '',
    pullRequest: preview.marks?.number ?? 0,
    why,
  }));
  return JSON.stringify(swept);
}

/** The job summary of a sweep, as Markdown. */
export function renderSweepSummary(report: SweepReport): string {
  const { results, dryRun } = report;
  const removed = results.filter(isRemoved).length;
  const failed = results.filter((r) => r.error !== undefined).length;
  const counts = [
    `${removed} ${dryRun ? 'would be removed' : 'removed'}`,
    `${results.length - removed - failed} kept`,
    ...(failed > 0 ? [`${failed} failed`] : []),
  ];
  const lines = [`### Lily preview sweep${dryRun ? ' (dry run)' : ''}: ${counts.join(', ')}`, ''];
  if (dryRun) lines.push('Dry run: nothing was removed.', '');
  if (results.length === 0) {
    lines.push('No previews were found.', '');
    return lines.join('\n');
  }
  lines.push(
    '| Release | Namespace | Pull request | Decision | Why |',
    '|---|---|---|---|---|',
    ...results.map((result) => row(result, report)),
    '',
  );
  return lines.join('\n');
}

function row(result: SweepResult, report: SweepReport): string {
  const { preview } = result;
  const cells = [
    code(preview.release),
    code(preview.namespace),
    preview.marks ? pullRequestRef(preview.marks, report.repository) : '–',
    decisionOf(result, report.dryRun),
    result.error === undefined ? result.why : `${result.why}; removal failed: ${result.error}`,
  ];
  return `| ${cells.map(escapeCell).join(' | ')} |`;
}

function decisionOf(result: SweepResult, dryRun: boolean): string {
  if (result.action === 'keep') return 'kept';
  if (result.error !== undefined) return '**removal failed**';
  return dryRun ? 'would remove' : 'removed';
}

function isRemoved(result: SweepResult): boolean {
  return result.action === 'remove' && result.error === undefined;
}
