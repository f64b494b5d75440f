import type { CleanupSettings } from '../settings.js';
import type { InputReader } from './reader.js';

/** What an uninstall deletes besides the release: delete-pvcs and delete-namespace. */
export function parseCleanup(reader: InputReader): CleanupSettings {
  return {
    deletePvcs: reader.bool('delete-pvcs', true),
    deleteNamespace: reader.bool('delete-namespace', true),
  };
}
