// Lily reads its database from one Postgres URL. These rules are Lily's own
// (see shared/lily-chart.md): any other URL parameter is an error at start-up,
// so we refuse it here, before anything reaches the cluster.
export const LILY_URL_PARAMETERS = ['sslmode', 'application_name', 'connect_timeout'] as const;
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
 * What is wrong with a database URL, in messages that never quote the URL
 * itself (it holds the password). Empty when Lily will accept it.
 */
export function databaseUrlProblems(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return ['is not a valid URL (expected postgres://user:password@host:5432/database)'];
  }
  const problems: string[] = [];
  const scheme = parsed.protocol.replace(/:$/, '');
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    problems.push(`has scheme '${scheme}'; allowed: postgres, postgresql`);
  }
  if (parsed.hostname === '') problems.push('names no host');
  if (parsed.pathname.replace(/^\//, '') === '') {
    problems.push('names no database (expected …@host:5432/<database>)');
  }
  for (const [key, value] of parsed.searchParams) {
    if (!(LILY_URL_PARAMETERS as readonly string[]).includes(key)) {
      problems.push(
        `has parameter '${key}', which Lily rejects; allowed: ${LILY_URL_PARAMETERS.join(', ')}`,
      );
    } else if (key === 'sslmode' && !SSL_MODES.includes(value)) {
      problems.push(`has sslmode '${value}'; allowed: ${SSL_MODES.join(', ')}`);
    } else if (key === 'connect_timeout' && !/^\d+$/.test(value)) {
      problems.push(`has connect_timeout '${value}'; allowed: a whole number of seconds`);
    }
  }
  return problems;
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
    // An unparsable URL is refused by databaseUrlProblems; the URL itself is masked above.
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
