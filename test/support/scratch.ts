// One temporary directory per `npm test` / `npm run bench`, made the TMPDIR of
// everything they start (os.tmpdir() reads it on every call, helm and kubectl
// read it too) and removed at the end, so a run leaves nothing in /tmp even
// where a test does not clean up after itself (LILY_DEPLOY_KEEP_TEMP=1 keeps it).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ScratchTmpdir {
  readonly dir: string;
  remove(): void;
}

export function useScratchTmpdir(prefix: string): ScratchTmpdir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.env.TMPDIR = dir;
  return {
    dir,
    remove: () => {
      if (process.env.LILY_DEPLOY_KEEP_TEMP === '1') console.log(`temp files kept in ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}
