// Markdown for the job summary, shared by every report in it.

/** A collapsed section of the summary holding preformatted text (`diff` highlights a diff). */
export function collapsed(title: string, text: string, language = 'text'): string[] {
  return [
    `<details><summary>${title}</summary>`,
    '',
    ...fenced(text, language),
    '',
    '</details>',
    '',
  ];
}

/** A fenced code block; its fence is longer than any run of backticks in the text, which cannot end it. */
export function fenced(text: string, language = 'text'): string[] {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map(([run]) => run.length));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}${language}`, text.trimEnd(), fence];
}

/** Inline code; a backtick inside would end it early. */
export function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

/** A table cell's text on one line, its pipes escaped. */
export function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * GitHub refuses a step's summary over 1 MiB, and then shows none of it. One
 * report (a failure's, a plan's) is cut to this, so that what a step writes
 * in all stays well under the limit.
 */
export const REPORT_BYTES = 400 * 1024;

/**
 * `markdown` cut at a line boundary to at most `maxBytes` of UTF-8, with a
 * code fence and `<details>` the cut left open closed, then `pointer` (where
 * the rest is); unchanged when it fits.
 */
export function cutToBytes(markdown: string, pointer: string, maxBytes = REPORT_BYTES): string {
  if (Buffer.byteLength(markdown) <= maxBytes) return markdown;
  let open: OpenBlocks = { details: 0 };
  const closing = (state: OpenBlocks) => [
    ...(state.fence ? [state.fence] : []),
    ...Array.from({ length: state.details }, () => '</details>'),
    '',
    pointer,
  ];
  const bytes = (lines: string[]) => Buffer.byteLength(lines.join('\n')) + 1;
  const kept: string[] = [];
  let size = 0;
  for (const line of markdown.split('\n')) {
    const next = afterLine(open, line);
    if (size + Buffer.byteLength(line) + 1 + bytes(closing(next)) > maxBytes) break;
    kept.push(line);
    size += Buffer.byteLength(line) + 1;
    open = next;
  }
  return [...kept, ...closing(open)].join('\n');
}

/** The code fence and how many <details> are open at a point of a text. */
interface OpenBlocks {
  fence?: string;
  details: number;
}

/** What is open after `line`. */
function afterLine(open: OpenBlocks, line: string): OpenBlocks {
  if (open.fence) return line === open.fence ? { details: open.details } : open;
  const fence = /^(`{3,})[\w-]*$/.exec(line)?.[1];
  if (fence) return { fence, details: open.details };
  if (line.startsWith('<details>')) return { details: open.details + 1 };
  if (line === '</details>') return { details: Math.max(0, open.details - 1) };
  return open;
}
