import { DIGEST_SHAPE, type PlanDigest, parseDigest } from '../plan-digest.js';
import type { Command } from '../settings.js';
import type { InputReader } from './reader.js';

/** plan-digest: the reviewed plan a deploy must apply exactly; only a deploy takes one. */
export function parsePlanDigest(reader: InputReader, command: Command): PlanDigest | undefined {
  const text = reader.text('plan-digest');
  if (text === '') return undefined;
  if (command !== 'deploy') {
    reader.fail(
      'plan-digest',
      `is given, which only command: deploy takes (command is ${command})`,
    );
    return undefined;
  }
  const digest = parseDigest(text);
  reader.check('plan-digest', text, digest !== undefined, DIGEST_SHAPE);
  return digest;
}
