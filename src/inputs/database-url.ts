// Lily reads its database from one Postgres URL: composed here from the
// database-* inputs, and masked in every form it could surface in. What Lily
// refuses in it is the Lily preflight's (lily/database-url.ts).
export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

export interface DatabaseUrlParts {
  host: string;
  port: number;
  name: string;
  user: string;
  password: string;
  sslmode: string;
}

/** The URL Lily expects, user and password percent-encoded so any character survives. */
export function composeDatabaseUrl(parts: DatabaseUrlParts): string {
  const host = parts.host.includes(':') ? `[${parts.host}]` : parts.host;
  const auth = `${encodeURIComponent(parts.user)}:${encodeURIComponent(parts.password)}`;
  const query = new URLSearchParams({ sslmode: parts.sslmode });
  return `postgres://${auth}@${host}:${parts.port}/${encodeURIComponent(parts.name)}?${query.toString()}`;
}

/**
 * Every form in which the URL or its password could surface in a log: as
 * given, percent-decoded, percent-encoded, and base64 (a Secret's `data`).
 */
export function databaseSecretForms(url: string, password?: string): string[] {
  const forms = [url, Buffer.from(url).toString('base64')];
  const passwords = password ? [password] : [];
  try {
    const fromUrl = new URL(url).password;
    if (fromUrl) passwords.push(fromUrl, safeDecode(fromUrl));
  } catch {
    // An unparsable URL is refused by the Lily preflight; the URL itself is masked above.
  }
  for (const p of passwords) forms.push(p, encodeURIComponent(p));
  return [...new Set(forms.filter((form) => form !== ''))];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
