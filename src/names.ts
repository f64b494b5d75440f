import { createHash } from 'node:crypto';

// Kubernetes and Helm names have length limits; names made from user input
// are cut to fit the same way everywhere, so one input always gives one name.

/**
 * `<head><tail>` when it fits in `max` characters; otherwise the head is
 * shortened and a short hash of the full name keeps names of different heads
 * apart: `<head, cut>-<hash><tail>`, the same for the same input every time.
 */
export function boundedName(head: string, tail: string, max: number): string {
  const full = `${head}${tail}`;
  if (full.length <= max) return full;
  const hash = digestOf(full, 6);
  const room = max - tail.length - hash.length - 1;
  return `${head.slice(0, room).replace(/-+$/, '')}-${hash}${tail}`;
}

/** The first `length` hex digits of the SHA-256 of the text: stable, for names and labels. */
export function digestOf(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** A stable hash of a GitHub repository's `owner/name`, whose case GitHub ignores. */
export function repositoryDigest(repository: string, length: number): string {
  return digestOf(repository.toLowerCase(), length);
}
