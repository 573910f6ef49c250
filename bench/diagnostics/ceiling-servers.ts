/**
 * The servers the ceiling diagnostics load (ceiling.ts at saturation, paced-floor.ts at a steady
 * rate), each started pinned to CPU 1 as ingest.bench.ts pins the servers it compares.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type Server } from '../processes.js';
import { createBodyGenerator } from '../webhook-body.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SECRET = 'bench-app-secret-0123456789abcdef';

export type CeilingServer = { name: string; args: string[]; extra: Record<string, string> };

const node = (work: Record<string, string>) => ({ args: ['bench/diagnostics/ceiling-node.mjs'], extra: work });
const fastify = (work: Record<string, string>) => ({ args: ['bench/diagnostics/ceiling-fastify.mjs'], extra: work });

export const EXPRESS_BASELINE: CeilingServer = { name: 'express baseline (express.json, 200)', args: ['--import', 'tsx', 'bench/baseline-express.ts'], extra: {} };
export const BARE_FASTIFY: CeilingServer = { name: 'bare fastify (raw buffer, 200)', ...fastify({}) };
export const FASTIFY_VERIFY: CeilingServer = { name: 'fastify + HMAC + JSON.parse + sha256', ...fastify({ CEILING_WORK: 'verify' }) };
export const BARE_NODE: CeilingServer = { name: 'bare node:http (200)', ...node({}) };
export const NODE_VERIFY: CeilingServer = { name: 'node:http + HMAC + JSON.parse + sha256', ...node({ CEILING_WORK: 'verify' }) };
export const NODE_DURABLE: CeilingServer = { name: '… + durable SQLite row, group commit', ...node({ CEILING_WORK: 'durable' }) };

/** Signed webhook bodies the servers above verify. */
export const createCeilingBodies = () => createBodyGenerator({ fixturePath: join(ROOT, 'test/fixtures/meta/inbound-text.json'), appSecret: SECRET });

export function startCeilingServer(server: CeilingServer): Promise<Server> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', META_APP_SECRET: SECRET, NODE_ENV: 'production', ...server.extra };
  delete env['NODE_OPTIONS'];
  return startServer({
    name: server.name,
    command: 'taskset',
    args: ['-c', '1', process.execPath, ...server.args],
    cwd: ROOT,
    env,
    ready: /listening on http:\/\/[^:]+:(\d+)/,
  });
}
