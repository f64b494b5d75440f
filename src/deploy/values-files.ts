import * as yaml from 'js-yaml';
import { mergeValues, type Values } from '../inputs/values.js';
import type { Settings } from '../settings.js';
import type { Workspace } from '../workspace.js';
import { databaseValues } from './database-values.js';

// The values files helm gets, in order: the user's files, the inline values,
// then ours wiring the database Secret (which only names the Secret).

/** The user's values files, in order: the input's files, then the inline values. */
export function userValuesFiles(settings: Settings, workspace: Workspace): string[] {
  const files = [...settings.valuesFiles];
  if (settings.values)
    files.push(workspace.write('values-inline.yaml', yaml.dump(settings.values)));
  return files;
}

/** The values helm gets: its files (the user's, then ours wiring the database Secret) and their merge. */
export interface ValuesForHelm {
  files: string[];
  /** What the files hold, merged as helm merges them: what a plan compares and digests. */
  values: Values;
  /** What the Values step logs (made early, printed in its place). */
  log: string[];
}

export function withDatabaseValues(
  settings: Settings,
  workspace: Workspace,
  userValues: Values,
  userFiles: string[],
  chartDefaults: Values,
): ValuesForHelm {
  const files = [...userFiles];
  const log: string[] = [];
  let values = userValues;
  if (settings.database) {
    const db = settings.database;
    const generated = databaseValues(db, userValues, chartDefaults);
    values = mergeValues(userValues, generated);
    const path = workspace.write('values-lily-deploy.yaml', yaml.dump(generated));
    log.push(
      `Storage entry '${db.storageName}' → Secret ${db.secretName}, written to ${path}:\n${yaml.dump(generated)}`,
    );
    files.push(path);
  }
  log.push(
    files.length > 0
      ? `Values files, in order:\n${files.join('\n')}`
      : 'No values files: chart defaults',
  );
  return { files, values, log };
}
