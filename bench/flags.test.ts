import { describe, expect, it } from 'vitest';
import { parseFlags } from './flags.js';

describe('benchmark flags', () => {
  const known = ['messages', 'no-build', 'skip'];

  it('should read --key value, --key=value and a bare --flag', () => {
    expect(parseFlags(['--messages', '500', '--skip=baseline', '--no-build'], known)).toEqual(
      new Map([
        ['messages', '500'],
        ['skip', 'baseline'],
        ['no-build', 'true'],
      ]),
    );
  });

  it('should refuse an unknown key, naming the known ones', () => {
    expect(() => parseFlags(['--mesages', '5'], known)).toThrow('unknown option --mesages (known: --messages --no-build --skip)');
  });

  it('should refuse a word that is not a flag', () => {
    expect(() => parseFlags(['500'], known)).toThrow('unexpected argument 500');
  });
});
