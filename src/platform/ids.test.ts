import { describe, expect, it } from 'vitest';
import { uuidGenerator } from './ids.js';

describe('uuidGenerator', () => {
  it('makes distinct RFC 9562 version 7 UUIDs, in time order to the millisecond', async () => {
    const first = Array.from({ length: 2_000 }, () => uuidGenerator.next());
    await new Promise((resolve) => setTimeout(resolve, 2));
    const later = uuidGenerator.next();
    // Across refills of the random pool (256 ids each), every id is new.
    expect(new Set(first).size).toBe(first.length);
    for (const id of [...first, later]) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const millis = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(first.every((id) => millis(id) <= millis(later))).toBe(true);
    expect(millis(later)).toBeGreaterThan(millis(first[0]!));
  });
});
