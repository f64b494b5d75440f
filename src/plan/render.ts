import type { IssueComment } from '../github/pull-request-comments.js';
import { code, collapsed, cutToBytes, escapeCell, REPORT_BYTES } from '../markdown.js';
import type { ObjectChange } from './diff.js';
import type { PlanFile } from './plan-file.js';
import { describeFieldChange, type FieldChange } from './redact.js';

// The plan as people read it: the job summary, and the sticky comment on the
// pull request (one per pull request and release, found again by a hidden
// marker on a comment of our own). The summary shows the plan file's texts,
// which are redacted; the comment, public on a public repository and never
// masked by the runner, shows no value at all: the objects and fields that
// change, each value by a short hash. Pure.

/** GitHub refuses a comment longer than this many characters. */
export const COMMENT_LIMIT = 65_536;
/** What the plan comment is cut to: the limit, less a margin. */
const COMMENT_BUDGET = COMMENT_LIMIT - 4_096;
const FIELDS_SHOWN = 6;

function heading(plan: PlanFile): string {
  const what = plan.applied === undefined ? 'plan' : 'deploy';
  return `### Lily ${what}: ${code(plan.release)} in ${code(plan.namespace)}`;
}

function overview(plan: PlanFile): string[] {
  const chart = `Chart ${code(`${plan.chart}@${plan.chartVersion}`)}`;
  const { added, changed, removed, unchanged } = plan.counts;
  if (plan.applied !== undefined) {
    const against =
      plan.liveRevision === null ? 'the first install' : `against revision ${plan.liveRevision}`;
    const counts = `${added} added, ${changed} changed, ${removed} removed, ${unchanged} unchanged`;
    return [`${chart}, revision ${plan.applied} (${against}): ${counts}.`, '', ...notes(plan)];
  }
  const against =
    plan.liveRevision === null ? 'a first install' : `against revision ${plan.liveRevision}`;
  const counts = `${added} to add, ${changed} to change, ${removed} to remove, ${unchanged} unchanged`;
  const validation = plan.validation.serverSide
    ? 'The API server validated the planned objects (server-side dry run).'
    : `Server-side validation was skipped: ${plan.validation.reason}.`;
  return [`${chart}, ${against}: ${counts}.`, '', validation, '', ...notes(plan)];
}

function notes(plan: PlanFile): string[] {
  return plan.notes.length === 0 ? [] : [...plan.notes.map((note) => `- ${note}`), ''];
}

function fieldsCell(change: ObjectChange): string {
  if (change.fields.length === 0) return '–';
  const shown = change.fields.slice(0, FIELDS_SHOWN).map(code).join(', ');
  const more = change.fields.length - FIELDS_SHOWN;
  return more > 0 ? `${shown} and ${more} more` : shown;
}

/** One table row per object that changes. */
function tableRows(plan: PlanFile): string[] {
  return plan.changes
    .filter((c) => c.change !== 'unchanged')
    .map((c) => `| ${escapeCell(code(c.object))} | ${c.change} | ${escapeCell(fieldsCell(c))} |`);
}

function changeTable(plan: PlanFile, rows: string[]): string[] {
  if (rows.length === 0)
    return [
      plan.applied === undefined
        ? 'Nothing changes: the live objects already match the plan.'
        : "Nothing changed in the release's objects.",
      '',
    ];
  return ['| Object | Change | Fields |', '|---|---|---|', ...rows, ''];
}

/** A collapsed diff per object that changes, then the values'. */
function diffSections(plan: PlanFile): string[][] {
  const sections = plan.changes
    .filter((c) => c.change !== 'unchanged' && c.diff !== '')
    .map((c) => collapsed(`${c.object} (${c.change})`, c.diff, 'diff'));
  if (plan.valuesDiff !== '')
    sections.push(collapsed('User-supplied values (changed)', plan.valuesDiff, 'diff'));
  return sections;
}

/** For each object that changes, then the values, the fields that change by hash. */
function hashSections(plan: PlanFile): string[][] {
  const hashes = (title: string, fields: FieldChange[]) =>
    collapsed(title, fields.map(describeFieldChange).join('\n'));
  const sections = plan.changes
    .filter((c) => c.fieldChanges.length > 0)
    .map((c) => hashes(`${c.object} (${c.change})`, c.fieldChanges));
  if (plan.valuesFieldChanges.length > 0)
    sections.push(hashes('User-supplied values (changed)', plan.valuesFieldChanges));
  return sections;
}

/** The plan's job summary (or a deploy's changes), as Markdown, cut to the summary's budget before the digest. */
export function renderPlanSummary(plan: PlanFile): string {
  const body = [
    heading(plan),
    '',
    ...overview(plan),
    ...changeTable(plan, tableRows(plan)),
    ...diffSections(plan).flat(),
  ].join('\n');
  const digest = plan.applied === undefined ? `Plan digest: ${code(plan.digest)}\n` : '';
  const rest =
    plan.applied === undefined
      ? 'every diff is in the plan file (the `plan` output)'
      : `${code(`helm get manifest ${plan.release} --revision ${plan.applied}`)} has the whole manifest`;
  const cut = cutToBytes(
    body,
    `The job summary is cut here: ${rest}.\n`,
    REPORT_BYTES - Buffer.byteLength(digest) - 1,
  );
  return digest ? `${cut}\n${digest}` : cut;
}

/** The hidden first line of the plan comment of a release. */
export function stickyMarker(release: string): string {
  return `<!-- lily-deploy plan: ${release} -->`;
}

export interface CommentOptions {
  /** The run whose job summary holds the whole plan. */
  runUrl: string;
  /** A preview deploy's status, shown above the plan. */
  status?: string;
}

/**
 * The sticky pull-request comment: the table, the digest, the run, and the
 * fields that change by the hash of each value, as many as fit. No value
 * shows: the diffs are in the job summary.
 */
export function renderPlanComment(plan: PlanFile, options: CommentOptions): string {
  const intro = [
    stickyMarker(plan.release),
    heading(plan),
    '',
    ...(options.status ? [`**Preview:** ${options.status}`, ''] : []),
    ...overview(plan),
  ];
  const footer = [
    plan.applied === undefined
      ? `Plan digest: ${code(plan.digest)} · [the run](${options.runUrl})`
      : `[The run](${options.runUrl})`,
    '',
  ];
  const hashed = `This comment shows no values: each changed value by the first 8 hex digits of its sha256 (old → new). The diffs are in the job summary of [the run](${options.runUrl}).`;
  const pointer = `The full plan is in the job summary of [the run](${options.runUrl}); this comment is cut to GitHub's limit.`;
  const compose = (rows: string[], sections: string[][], cut: boolean) =>
    [
      ...intro,
      ...changeTable(plan, rows),
      ...footer,
      ...(cut ? [pointer, ''] : []),
      ...(sections.length > 0 ? [hashed, '', ...sections.flat()] : []),
    ].join('\n');
  return fitted(tableRows(plan), hashSections(plan), compose);
}

/** The longest composition within the budget: fewer diffs first, then fewer table rows. */
function fitted(
  rows: string[],
  sections: string[][],
  compose: (rows: string[], sections: string[][], cut: boolean) => string,
): string {
  const whole = compose(rows, sections, false);
  if (whole.length <= COMMENT_BUDGET) return whole;
  const withSections = (kept: number) => compose(rows, sections.slice(0, kept), true);
  const sectionsKept = mostThatFit(sections.length - 1, withSections);
  if (sectionsKept !== undefined) return withSections(sectionsKept);
  const withRows = (kept: number) =>
    compose([...rows.slice(0, kept), `| … | ${rows.length - kept} more objects | |`], [], true);
  return withRows(mostThatFit(rows.length - 1, withRows) ?? 0).slice(0, COMMENT_BUDGET);
}

/** The largest count up to `most` whose text fits the budget (texts grow with the count). */
function mostThatFit(most: number, text: (count: number) => string): number | undefined {
  let [low, high] = [0, most];
  if (most < 0 || text(0).length > COMMENT_BUDGET) return undefined;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (text(middle).length <= COMMENT_BUDGET) low = middle;
    else high = middle - 1;
  }
  return low;
}

/**
 * The release's plan comment among a pull request's comments: the newest with
 * its marker that `author` (the token's own identity, by user id) wrote. A
 * marker anyone else wrote is not ours to edit.
 */
export function findStickyComment<C extends IssueComment>(
  comments: readonly C[],
  release: string,
  author: number,
): C | undefined {
  const marker = stickyMarker(release);
  const newer = (a: C, b: C) =>
    (a.created_at ?? '') > (b.created_at ?? '') ||
    ((a.created_at ?? '') === (b.created_at ?? '') && a.id > b.id);
  return comments
    .filter((c) => c.user?.id === author && (c.body ?? '').trimStart().startsWith(marker))
    .reduce<C | undefined>((newest, c) => (!newest || newer(c, newest) ? c : newest), undefined);
}
