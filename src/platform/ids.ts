import { v7 as uuidv7 } from 'uuid';

/** Identifier generation as a port: ids are made by adapters and use cases, never inside core logic. */
export interface IdGenerator {
  next(): string;
}

/**
 * UUIDv7 (RFC 9562): time-ordered, so a new row's primary key goes at the end of its index
 * instead of on a random page. On the webhook's and the worker's hot paths (jobs, messages) that
 * roughly halves what an insert costs SQLite (bench/diagnostics/sqlite-insert-probe.ts).
 */
export const uuidGenerator: IdGenerator = { next: () => uuidv7() };

/** Predictable ids (`prefix-1`, `prefix-2`, …) for tests. */
export function sequentialIds(prefix = 'id'): IdGenerator {
  let counter = 0;
  return { next: () => `${prefix}-${++counter}` };
}
