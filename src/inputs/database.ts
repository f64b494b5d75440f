import type { DatabaseSettings } from '../settings.js';
import {
  composeDatabaseUrl,
  databaseSecretForms,
  type DatabaseUrlParts,
  SSL_MODES,
} from './database-url.js';
import { lilyDatabaseUrlProblems } from '../lily/database-url.js';
import type { InputReader } from './reader.js';

const DATABASE_PARTS = [
  'database-host',
  'database-name',
  'database-user',
  'database-password',
] as const;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const STORAGE_NAME = /^[A-Za-z0-9_]+$/;
const VALUES_PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * The database-* inputs: the Postgres URL Lily writes to (given whole or in
 * parts), the Secret that holds it, and the storage entry that points at it.
 * Undefined when no database is given; the other inputs are checked anyway.
 */
export function parseDatabase(reader: InputReader, release: string): DatabaseSettings | undefined {
  const url = parseDatabaseUrl(reader);
  const secret = parseDatabaseSecret(reader, release);
  const storage = parseStorageEntry(reader);
  if (!url) return undefined;
  return { url, ...secret, ...storage };
}

/** The database-url input, or one URL composed from the parts; never both. */
function parseDatabaseUrl(reader: InputReader): string | undefined {
  const url = reader.text('database-url');
  const password = reader.text('database-password');
  if (url) reader.secret(...databaseSecretForms(url));
  if (password) reader.secret(password, encodeURIComponent(password));
  // Checked even beside a whole URL, where they go unused, so a typo still shows.
  const port = parsePort(reader);
  const sslmode = reader.text('database-sslmode') || 'require';
  reader.check('database-sslmode', sslmode, SSL_MODES.includes(sslmode), SSL_MODES.join(', '));

  const given = DATABASE_PARTS.filter((name) => reader.text(name) !== '');
  if (url) return checkedForLily(reader, 'database-url', checkWholeUrl(reader, url, given));
  if (given.length === 0) return undefined;
  const composed = urlFromParts(reader, given, { port, sslmode, password });
  // Of the parts, only the sslmode can make a URL Lily refuses (verify-ca, verify-full).
  return composed && checkedForLily(reader, 'database-sslmode', composed);
}

/**
 * The URL, with what Lily's parser would refuse in it named as an error of
 * `input` (failure-reason lily-config), here, before anything is downloaded;
 * `lily-preflight: false` leaves it to Lily.
 */
function checkedForLily(reader: InputReader, input: string, url: string): string {
  if (reader.text('lily-preflight') === 'false') return url;
  for (const problem of lilyDatabaseUrlProblems(url)) reader.failForLily(input, problem);
  return url;
}

/** The URL as given, alone. */
function checkWholeUrl(reader: InputReader, url: string, givenParts: string[]): string {
  if (givenParts.length > 0) {
    reader.fail(
      'database-url',
      `cannot be combined with ${givenParts.join(', ')}; give either the URL or its parts`,
    );
  }
  return url;
}

/** The URL from database-host, -name, -user and -password; undefined while one is missing. */
function urlFromParts(
  reader: InputReader,
  givenParts: string[],
  connection: Pick<DatabaseUrlParts, 'port' | 'sslmode' | 'password'>,
): string | undefined {
  const missing = DATABASE_PARTS.filter((name) => !givenParts.includes(name));
  for (const name of missing)
    reader.fail(name, `is required with ${givenParts.join(', ')} (or give database-url instead)`);
  if (missing.length > 0) return undefined;
  const url = composeDatabaseUrl({
    ...connection,
    host: reader.text('database-host'),
    name: reader.text('database-name'),
    user: reader.text('database-user'),
  });
  reader.secret(...databaseSecretForms(url, connection.password));
  return url;
}

function parsePort(reader: InputReader): number {
  const text = reader.text('database-port') || '5432';
  const port = Number(text);
  reader.check(
    'database-port',
    text,
    /^\d+$/.test(text) && port >= 1 && port <= 65535,
    'a port number from 1 to 65535',
  );
  return port;
}

/** The Secret the action writes the URL to, so the chart never holds it in plain values. */
function parseDatabaseSecret(
  reader: InputReader,
  release: string,
): Pick<DatabaseSettings, 'secretName' | 'secretKey'> {
  // The default, derived from a valid release name, is always a valid name.
  const explicitName = reader.text('database-secret-name');
  const secretName = explicitName || `${release}-lily-db`;
  if (explicitName) {
    reader.check(
      'database-secret-name',
      secretName,
      DNS_SUBDOMAIN.test(secretName) && secretName.length <= 253,
      "a Kubernetes object name: lower-case letters, digits, '-' and '.'",
    );
  }
  const secretKey = reader.text('database-secret-key') || 'url';
  reader.check(
    'database-secret-key',
    secretKey,
    /^[-._a-zA-Z0-9]+$/.test(secretKey) && secretKey.length <= 253,
    "letters, digits, '-', '_' and '.'",
  );
  return { secretName, secretKey };
}

/** Lily's storage entry for the database, and where in the chart values it goes. */
function parseStorageEntry(
  reader: InputReader,
): Pick<DatabaseSettings, 'storageName' | 'schema' | 'applicationName' | 'valuesPath'> {
  const storageName = reader.text('database-storage-name') || 'db';
  reader.check(
    'database-storage-name',
    storageName,
    STORAGE_NAME.test(storageName),
    "letters, digits and '_' only (Lily turns it into an environment variable name; '-' breaks the pod)",
  );
  const schema = reader.text('database-schema') || 'lily';
  reader.check(
    'database-schema',
    schema,
    /^[A-Za-z_][A-Za-z0-9_]*$/.test(schema),
    "a Postgres identifier: letters, digits and '_'",
  );
  const applicationName = reader.text('database-application-name') || 'lily';
  reader.check(
    'database-application-name',
    applicationName,
    /^[\x20-\x7e]{1,63}$/.test(applicationName),
    'printable ASCII, at most 63 characters',
  );
  const valuesPath = reader.text('database-values-path') || 'auto';
  reader.check(
    'database-values-path',
    valuesPath,
    valuesPath === 'auto' || VALUES_PATH.test(valuesPath),
    "'auto' or a dotted path such as daemon.storage.postgresql",
  );
  return { storageName, schema, applicationName, valuesPath };
}
