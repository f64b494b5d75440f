// Lily reads each database from one Postgres URL, parsed by go-pg's ParseURL
// (/shared/lily-runtime.md §3). These are that parser's rules, plus the
// sslmodes it accepts but cannot use: what Lily would refuse at start-up.

export const LILY_URL_PARAMETERS = ['sslmode', 'application_name', 'connect_timeout'] as const;
/** The sslmodes go-pg parses; verify-ca and verify-full fail at the TLS handshake. */
export const LILY_SSL_MODES = ['disable', 'allow', 'prefer', 'require'] as const;

/**
 * What Lily would refuse in a database URL, in messages that never quote the
 * URL itself (it holds the password). Empty when Lily will accept it.
 */
export function lilyDatabaseUrlProblems(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return ['is not a valid URL (expected postgres://user:password@host:5432/database)'];
  }
  const problems: string[] = [];
  const scheme = parsed.protocol.replace(/:$/, '');
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    problems.push(`has scheme '${scheme}' (pg: invalid scheme); allowed: postgres, postgresql`);
  }
  if (parsed.hostname === '') problems.push('names no host');
  if (parsed.pathname.replace(/^\//, '') === '') {
    problems.push(
      'names no database (pg: database name not provided; expected …@host:5432/<database>)',
    );
  }
  for (const [key, value] of parsed.searchParams) {
    if (!(LILY_URL_PARAMETERS as readonly string[]).includes(key)) {
      problems.push(
        `has parameter '${key}' (pg: options other than 'sslmode', 'application_name' and 'connect_timeout' are not supported); allowed: ${LILY_URL_PARAMETERS.join(', ')}`,
      );
    } else if (key === 'sslmode' && /^verify-(ca|full)$/.test(value)) {
      problems.push(
        `has sslmode '${value}', which Lily's driver cannot use: it verifies without a server name, so every connection fails ` +
          "('tls: either ServerName or InsecureSkipVerify must be specified'); use sslmode=require (encrypted, not verified)",
      );
    } else if (key === 'sslmode' && !(LILY_SSL_MODES as readonly string[]).includes(value)) {
      problems.push(
        `has sslmode '${value}' (pg: sslmode is not supported); allowed: ${LILY_SSL_MODES.join(', ')}`,
      );
    } else if (key === 'connect_timeout' && !/^\d+$/.test(value)) {
      problems.push(
        `has connect_timeout '${value}' (pg: cannot parse connect_timeout option as int); allowed: a whole number of seconds`,
      );
    }
  }
  return problems;
}
