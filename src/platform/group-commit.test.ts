import { describe, expect, it } from 'vitest';
import { GroupCommitter } from './group-commit.js';

describe('GroupCommitter', () => {
  it('writes concurrent submissions in one batch and answers each with its own result', async () => {
    const batches: number[][] = [];
    const committer = new GroupCommitter<number, number>(async (items) => {
      batches.push(items);
      return items.map((n) => n * 10);
    });
    const results = await Promise.all([1, 2, 3].map((n) => committer.submit(n)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('collects what arrives during a write into the next batch', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const firstWrite = new Promise<void>((r) => (release = r));
    const committer = new GroupCommitter<number, number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await firstWrite;
      return items;
    });
    const first = committer.submit(1);
    await new Promise((r) => setImmediate(r));
    const later = [committer.submit(2), committer.submit(3)];
    release();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('does not resolve anyone whose batch failed, and keeps serving later batches', async () => {
    let fail = true;
    const committer = new GroupCommitter<string, string>(async (items) => {
      if (fail) throw new Error('disk full');
      return items;
    });
    await expect(Promise.all([committer.submit('a'), committer.submit('b')])).rejects.toThrow('disk full');
    fail = false;
    await expect(committer.submit('c')).resolves.toBe('c');
  });

  it('splits a large backlog into batches of the configured size', async () => {
    const sizes: number[] = [];
    const committer = new GroupCommitter<number, number>(async (items) => {
      sizes.push(items.length);
      return items;
    }, { maxBatchSize: 4 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => committer.submit(i)));
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('with maxInFlight 2, writes the next batch while the previous one is still being written, and no third', async () => {
    const started: number[][] = [];
    const releases: (() => void)[] = [];
    const committer = new GroupCommitter<number, number>(
      async (items) => {
        started.push(items);
        await new Promise<void>((r) => releases.push(r));
        return items;
      },
      { maxInFlight: 2 },
    );
    const turn = () => new Promise((r) => setImmediate(r));
    const first = committer.submit(1);
    await turn();
    const second = committer.submit(2);
    await turn();
    const third = [committer.submit(3), committer.submit(4)];
    await turn();
    await turn();
    // Two batches are being written; what arrived since waits for one of them to finish.
    expect(started).toEqual([[1], [2]]);
    releases[1]!();
    await expect(second).resolves.toBe(2);
    await turn();
    expect(started).toEqual([[1], [2], [3, 4]]);
    releases[0]!();
    releases[2]!();
    await expect(Promise.all([first, ...third])).resolves.toEqual([1, 3, 4]);
  });

  it('keeps one batch at a time by default', async () => {
    let writing = 0;
    let most = 0;
    const committer = new GroupCommitter<number, number>(async (items) => {
      most = Math.max(most, ++writing);
      await new Promise((r) => setTimeout(r, 1));
      writing--;
      return items;
    });
    const all = [];
    for (let i = 0; i < 20; i++) {
      all.push(committer.submit(i));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(all);
    expect(most).toBe(1);
  });
});
