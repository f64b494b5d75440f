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
