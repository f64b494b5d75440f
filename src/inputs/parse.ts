import type { Settings } from '../settings.js';
import { parseChart } from './chart.js';
import { parseCleanup } from './cleanup.js';
import { parseCluster } from './cluster.js';
import { parseDatabase } from './database.js';
import { parseGithub } from './github.js';
import { parseHelm } from './helm.js';
import { parsePlanDigest } from './plan.js';
import { InputReader, type InputSource } from './reader.js';
import { parseRollout } from './rollout.js';
import { parseSweepAndLock } from './sweep.js';
import { type EventContext, parseTarget } from './target.js';
import { parseValues } from './values.js';

export type { EventContext } from './target.js';
export type { InputSource } from './reader.js';

export interface ParsedInputs {
  /** Set only when there are no errors. */
  settings?: Settings;
  /** One message per bad input, each naming it. */
  errors: string[];
  /** Those of the errors that are Lily's refusals (lily-config). */
  lilyConfigErrors: string[];
  /** Every secret value found in the inputs and their derived forms, to mask first. */
  secrets: string[];
}

/**
 * Turns the raw inputs into Settings. Pure: it reads nothing but its arguments.
 * Errors come in the order the groups run, so keep that order stable.
 */
export function parseInputs(source: InputSource, event: EventContext): ParsedInputs {
  const reader = new InputReader(source);
  const target = parseTarget(reader, event);
  const cluster = parseCluster(reader);
  const chart = parseChart(reader, target.command);
  const values = parseValues(reader);
  const database = parseDatabase(reader, target.release);
  const helm = parseHelm(reader);
  const rollout = parseRollout(reader);
  const planDigest = parsePlanDigest(reader, target.command);
  const cleanup = parseCleanup(reader);
  const github = parseGithub(reader, target, event);
  const sweepAndLock = parseSweepAndLock(reader);

  const { errors, lilyConfigErrors, secrets } = reader;
  if (errors.length > 0) return { errors, lilyConfigErrors, secrets };
  return {
    errors,
    lilyConfigErrors,
    secrets,
    settings: {
      ...target,
      ...cluster,
      ...chart,
      ...values,
      database,
      ...helm,
      ...rollout,
      planDigest,
      cleanup,
      github,
      ...sweepAndLock,
    },
  };
}
