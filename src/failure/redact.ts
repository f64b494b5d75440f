// Secrets out of everything the diagnostics store and show: the runner masks
// the log, but a file or the job summary is ours to clean.

/** Replaces every secret form in a text by ***, as the runner does in logs. */
export function redactor(secrets: string[]): (text: string) => string {
  const sorted = [...new Set(secrets)]
    .filter((s) => s.length > 0)
    .sort((a, b) => b.length - a.length);
  return (text) => sorted.reduce((out, secret) => out.split(secret).join('***'), text);
}
