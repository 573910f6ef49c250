import { randomInt } from 'node:crypto';

/**
 * Seeded randomness, so that a test (or a bug report) can replay exactly the same duplicates,
 * reorderings and ids. mulberry32: 32-bit state, good enough for simulation, not for secrets.
 */
export type Random = {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** True with probability `p` (always draws, so the stream does not depend on `p`). */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  digits(length: number): string;
  /** Uppercase hex digits. */
  hex(length: number): string;
};

export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createRandom(seed: number): Random {
  const next = mulberry32(seed);
  const int = (maxExclusive: number) => Math.floor(next() * maxExclusive);
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(items.length)] as T;
    },
    digits: (length) => Array.from({ length }, () => String(int(10))).join(''),
    hex: (length) => Array.from({ length }, () => int(16).toString(16).toUpperCase()).join(''),
  };
}

/** A fresh seed when none is given (a CLI run must not repeat the wamids of the previous run). */
export function randomSeed(): number {
  return randomInt(0, 2 ** 32 - 1);
}
