import * as core from '@actions/core';
import { readFile } from 'node:fs/promises';
import { type EventContext, parseInputs } from './parse.js';
import type { Settings } from '../settings.js';
import { loadValuesFiles, mergeValues, type Values, valuesFileList } from './values.js';

export class InputError extends Error {
  constructor(
    readonly problems: string[],
    /** lily-config when every problem is one Lily itself would refuse. */
    readonly reason: 'bad-input' | 'lily-config' = 'bad-input',
  ) {
    super(
      problems.length === 1
        ? problems[0]
        : `${problems.length} inputs are invalid:\n${problems.map((p) => `- ${p}`).join('\n')}`,
    );
  }
}

export interface ActionInputs {
  settings: Settings;
  /** The values files and inline values merged, as helm will see them before ours. */
  userValues: Values;
  /** Every secret form, already masked; diagnostics redact them from what they store. */
  secrets: string[];
}

/**
 * Reads and checks every input. Secrets are masked before anything else can
 * print; nothing is downloaded or changed before this returns.
 */
export async function readInputs(): Promise<ActionInputs> {
  const parsed = parseInputs((name) => core.getInput(name), await readEvent());
  for (const secret of parsed.secrets) core.setSecret(secret);
  const files = await loadValuesFiles(
    parsed.settings?.valuesFiles ?? valuesFileList(core.getInput('values-files')),
  );
  const problems = [...parsed.errors, ...files.errors];
  if (!parsed.settings || problems.length > 0) {
    const lilyOnly = problems.every((p) => parsed.lilyConfigErrors.includes(p));
    throw new InputError(problems, lilyOnly ? 'lily-config' : 'bad-input');
  }
  const { settings } = parsed;
  return {
    settings,
    userValues: mergeValues(...files.values, settings.values ?? {}),
    secrets: parsed.secrets,
  };
}

/** The event that started the run, as the runner describes it. */
async function readEvent(): Promise<EventContext> {
  const path = process.env.GITHUB_EVENT_PATH;
  const payload: unknown = path ? JSON.parse(await readFile(path, 'utf8').catch(() => '{}')) : {};
  return {
    eventName: process.env.GITHUB_EVENT_NAME ?? '',
    payload,
    repository: process.env.GITHUB_REPOSITORY ?? '',
  };
}
