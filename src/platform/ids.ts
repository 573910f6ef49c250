import { randomUUID } from 'node:crypto';

/** Identifier generation as a port: ids are made by adapters and use cases, never inside core logic. */
export interface IdGenerator {
  next(): string;
}

export const uuidGenerator: IdGenerator = { next: () => randomUUID() };

/** Predictable ids (`prefix-1`, `prefix-2`, …) for tests. */
export function sequentialIds(prefix = 'id'): IdGenerator {
  let counter = 0;
  return { next: () => `${prefix}-${++counter}` };
}
