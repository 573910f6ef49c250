import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/** Identifier generation as a port: ids are made by adapters and use cases, never inside core logic. */
export interface IdGenerator {
  next(): string;
}

/**
 * Random bytes for ids, drawn from the OS 4 KiB at a time, as `crypto.randomUUID` does: the uuid
 * package asks the OS for 16 bytes per id, which cost the worker 4% of its CPU.
 */
const pool = Buffer.alloc(4_096);
let poolOffset = pool.length;
function randomBytes16(): Uint8Array {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += 16;
  return pool.subarray(poolOffset - 16, poolOffset);
}

/**
 * UUIDv7 (RFC 9562): time-ordered (to the millisecond), so a new row's primary key goes at the end
 * of its index instead of on a random page. On the webhook's and the worker's hot paths (jobs,
 * messages) that is a good part of what an insert costs SQLite (bench/diagnostics/sqlite-insert-probe.ts).
 */
export const uuidGenerator: IdGenerator = { next: () => uuidv7({ random: randomBytes16() }) };

/** Predictable ids (`prefix-1`, `prefix-2`, …) for tests. */
export function sequentialIds(prefix = 'id'): IdGenerator {
  let counter = 0;
  return { next: () => `${prefix}-${++counter}` };
}
