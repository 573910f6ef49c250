import tseslint from 'typescript-eslint';

const IO_MODULES = [
  'node:*', 'fs', 'fs/*', 'net', 'http', 'https', 'child_process', 'crypto',
  'fastify', 'fastify/*', '@fastify/*', 'kysely', 'pg', 'better-sqlite3', 'undici', 'pino', 'prom-client', 'ioredis',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'web/dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Only platform/config.ts reads the environment.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through platform/config.ts.' }],
    },
  },
  {
    // A bound LIMIT makes SQLite prepare the statement again on every run (src/db/one-row.ts).
    files: ['src/**/*.ts'],
    ignores: ['**/*.test.ts', 'src/modules/*/core/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: "CallExpression[callee.property.name='limit'][arguments.0.type='Literal']", message: 'Write a constant LIMIT into the SQL: .limit(ONE_ROW) from src/db/one-row.ts.' },
      ],
    },
  },
  {
    files: ['src/platform/config.ts', 'bench/**', 'e2e/**', 'test/**', '**/*.test.ts', 'vitest.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // The domain core does no I/O: no framework, database, network or file system imports,
    // and no direct reads of the wall clock or random ids (they are injected).
    files: ['src/modules/*/core/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: IO_MODULES, message: 'modules/*/core is pure: pass I/O in through a port.' },
          { group: ['../../*', '!../../../platform/*'], message: 'core imports only core files and platform types.' },
        ],
      }],
      'no-restricted-syntax': ['error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Inject a Clock.' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Inject randomness.' },
      ],
    },
  },
);
