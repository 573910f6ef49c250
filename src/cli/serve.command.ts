import type { Command } from 'commander';
import { startSwitchboard, type Switchboard } from '../main.js';
import { loadConfig, processEnv, redactedConfig, type Env } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';

/** Stops cleanly on SIGINT/SIGTERM: webhooks in flight are stored, the batch in progress commits. */
export function closeOnSignals(close: () => Promise<void>): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.error(`${signal} received, shutting down`);
    void close();
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

/** Starts the hub; `alsoClose` runs after it on SIGINT/SIGTERM (the demo's simulator). */
export async function serve(env: Env, roles: { http: boolean; worker: boolean }, alsoClose?: () => Promise<void>): Promise<Switchboard> {
  const config = loadConfig(env);
  const log = createLogger(config.LOG_LEVEL);
  log.debug({ config: redactedConfig(config) }, 'configuration');
  const switchboard = await startSwitchboard(config, log, roles);
  if (switchboard.app) {
    const address = switchboard.app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    console.log(`Switchboard listening on http://${config.HOST}:${port} (webhook: /webhooks/whatsapp, API: /api/v1, database: ${config.DATABASE_URL.split(':')[0]})`);
  } else {
    console.log('Switchboard worker started');
  }
  closeOnSignals(async () => {
    await switchboard.close();
    await alsoClose?.();
  });
  return switchboard;
}

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('Run the HTTP server (webhook, API, metrics) and the workers in one process')
    .action(async () => {
      await serve(processEnv(), { http: true, worker: true });
    });

  program
    .command('worker')
    .description('Run workers only (PostgreSQL: any number of them can share the work)')
    .action(async () => {
      await serve(processEnv(), { http: false, worker: true });
    });
}
