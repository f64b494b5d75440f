// Markdown for the job summary, shared by every report in it.

/** A collapsed section of the summary holding preformatted text. */
export function collapsed(title: string, text: string): string[] {
  return [
    `<details><summary>${title}</summary>`,
    '',
    '```text',
    text.trimEnd(),
    '```',
    '',
    '</details>',
    '',
  ];
}

/** Inline code; a backtick inside would end it early. */
export function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

/** A table cell's text on one line, its pipes escaped. */
export function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
