import type { Command } from 'commander';
import { deadLetterRepository, type DeadLetter } from '../jobs/dead-letter.repository.js';
import { replayDeadLetter } from '../jobs/replay-dead-letters.js';
import { openStorage } from '../main.js';
import { createWebhookIngestor } from '../modules/inbound/index.js';
import { loadStorageConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';

function describeLetter(letter: DeadLetter): string {
  const when = new Date(Number(letter.created_at)).toISOString();
  const what = letter.source === 'job' ? `job ${letter.job_name} ${letter.job_id}` : 'webhook body';
  const replayed = letter.replayed_at === null ? '' : `  (replayed ${new Date(Number(letter.replayed_at)).toISOString()})`;
  return `${letter.id}  ${when}  ${letter.code}  ${what}\n    ${letter.reason}${replayed}`;
}

export function registerDlqCommand(program: Command): void {
  const dlq = program.command('dlq').description('Inspect and replay what could not be processed');

  dlq
    .command('list')
    .description('List dead letters, newest first')
    .option('--all', 'include letters already replayed')
    .option('--json', 'print JSON, one letter per line, bodies included')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (options: { all?: boolean; json?: boolean; limit: string }) => {
      const config = loadStorageConfig();
      const storage = await openStorage(config, createLogger('warn'));
      try {
        const letters = await deadLetterRepository.list(storage.database.db, { includeReplayed: options.all === true, limit: Number(options.limit) });
        if (options.json) for (const letter of letters) console.log(JSON.stringify(letter));
        else console.log(letters.length === 0 ? 'No dead letters.' : letters.map(describeLetter).join('\n'));
      } finally {
        await storage.database.close();
      }
    });

  dlq
    .command('replay')
    .description('Replay dead letters by id (or all of them): dead jobs run again, refused webhooks are offered to ingestion again')
    .argument('[ids...]', 'dead-letter ids')
    .option('--all', 'replay every letter not yet replayed')
    .action(async (ids: string[], options: { all?: boolean }) => {
      if (ids.length === 0 && !options.all) throw new Error('Name dead-letter ids, or pass --all.');
      const config = loadStorageConfig();
      const storage = await openStorage(config, createLogger('warn'));
      const { database, queue, clock } = storage;
      try {
        const ingestor = createWebhookIngestor({ database, queue, clock, ids: storage.ids, appSecret: null });
        const letters = options.all
          ? await deadLetterRepository.list(database.db, { includeReplayed: false, limit: 100_000 })
          : await Promise.all(ids.map(async (id) => (await deadLetterRepository.get(database.db, id)) ?? id));
        let failures = 0;
        for (const letter of letters) {
          if (typeof letter === 'string') {
            console.log(`${letter}: no such dead letter`);
            failures++;
            continue;
          }
          const outcome = await replayDeadLetter(letter, { db: database.db, queue, clock, replayWebhook: ingestor.replay });
          if (!outcome.replayed) failures++;
          console.log(`${outcome.id}: ${outcome.replayed ? 'replayed' : 'not replayed'} (${outcome.message})`);
        }
        if (failures > 0) process.exitCode = 1;
      } finally {
        await database.close();
      }
    });
}
