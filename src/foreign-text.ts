import * as core from '@actions/core';
import { randomBytes } from 'node:crypto';

// Text the action did not write (pod logs, events, helm's output) may hold a
// line the runner would take for a workflow command (`::add-mask::`,
// `::error::`, `::stop-commands::`…). The runner ignores commands between
// `::stop-commands::<token>` and `::<token>::`; a fresh random token per
// block cannot be guessed by the text, so no line of it can end the pause.

/** `text` between a stop-commands line and its resume line for `token`. */
export function commandsStopped(text: string, token: string): string {
  return `::stop-commands::${token}\n${text}\n::${token}::`;
}

/** A token that does not occur in `text` (128 random bits). */
export function stopToken(text: string): string {
  for (;;) {
    const token = `lily-deploy-${randomBytes(16).toString('hex')}`;
    if (!text.includes(token)) return token;
  }
}

/** Prints text the action did not write, in one write, so none of our own lines land inside the pause. */
export function printForeign(text: string): void {
  core.info(commandsStopped(text, stopToken(text)));
}
