import type { Command } from 'commander';
import { Redis } from 'ioredis';
import { openStorage } from '../main.js';
import { backfillCrm, createCrm, CrmError, type BackfillCounts, type CrmSyncDeps } from '../modules/crm/index.js';
import { publishNothing } from '../modules/events/index.js';
import { MemoryRateLimiter, RedisRateLimiter } from '../modules/outbound/index.js';
import { loadCrmConfig, processEnv, type Env } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';

/** `switchboard crm backfill`: every CRM person imported, linked and keyed; counts returned (printed by the command). */
export async function runCrmBackfill(env: Env, onPage?: (counts: BackfillCounts) => void): Promise<BackfillCounts | null> {
  const config = loadCrmConfig(env);
  if (config.CRM_CONNECTOR === 'builtin') return null;
  const storage = await openStorage(config, createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL));
  const redis = config.REDIS_URL ? new Redis(config.REDIS_URL, { maxRetriesPerRequest: 2 }) : null;
  const { database, queue, clock, ids } = storage;
  const enqueue: CrmSyncDeps['enqueue'] = (exec, jobs) => queue.enqueue(exec, jobs);
  const limiter = redis ? new RedisRateLimiter(redis) : new MemoryRateLimiter(clock);
  const crm = createCrm(config, { db: database.db, clock, ids, limiter, enqueue, publish: publishNothing });
  try {
    return await backfillCrm(
      { db: database.db, connector: crm.connector, fieldMap: crm.fieldMap, clock, ids, defaultRegion: config.DEFAULT_REGION, publish: publishNothing, enqueue },
      { ...(onPage ? { onPage } : {}) },
    );
  } finally {
    await crm.close();
    redis?.disconnect();
    await database.close();
  }
}

const describeCounts = (c: BackfillCounts) =>
  [
    `${c.people} people read in ${c.pages} page${c.pages === 1 ? '' : 's'}`,
    `${c.created} contacts created`,
    `${c.matched} matched to existing contacts`,
    `${c.alreadyLinked} already linked`,
    `${c.keysWritten} keys written back`,
    `${c.skippedNoPhone} without a usable phone number`,
    `${c.skippedDuplicate} duplicates of another record's contact`,
    `${c.failed} failed`,
  ].join('\n');

export function registerCrmCommand(program: Command): void {
  const crm = program.command('crm').description('The CRM connector (CRM_CONNECTOR)');

  crm
    .command('backfill')
    .description(
      'Import every person of the external CRM: numbers normalised (DEFAULT_REGION for national formats), contacts linked or created, our key written onto each record. Safe to run again.',
    )
    .option('--json', 'print the counts as JSON')
    .action(async (options: { json?: boolean }) => {
      let counts: BackfillCounts | null;
      try {
        counts = await runCrmBackfill(processEnv(), options.json ? undefined : (c) => process.stderr.write(`\r${c.people} people…`));
      } catch (error) {
        // The CRM's answer is the user's to act on (credentials, an outage): one line, no stack.
        if (!(error instanceof CrmError)) throw error;
        console.error(`\nThe backfill stopped (${error.code}): ${error.message}\nRerun it once the cause is fixed; what was imported stays.`);
        process.exitCode = 1;
        return;
      }
      if (counts === null) {
        console.log('CRM_CONNECTOR is builtin: its people are the contacts already; nothing to import.');
        return;
      }
      if (!options.json) process.stderr.write('\n');
      console.log(options.json ? JSON.stringify(counts) : describeCounts(counts));
      if (counts.failed > 0) process.exitCode = 1;
    });
}
