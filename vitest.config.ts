import { defineConfig } from 'vitest/config';

// Three tiers by suffix (see CONVENTIONS): pure unit tests, integration tests on real databases
// and servers, and end-to-end tests that start the real `switchboard` process.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'bench/**/*.test.ts', 'web/src/**/*.test.ts'],
          exclude: ['src/**/*.int.test.ts'],
        },
      },
      {
        test: {
          name: 'int',
          include: ['src/**/*.int.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          // Integration suites share one PostgreSQL database; files run one after another.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
