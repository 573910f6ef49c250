import type { Command } from 'commander';
import { openStorage } from '../main.js';
import { NewNumberBody, NumberDirectory, numberResponse } from '../modules/numbers/index.js';
import { loadStorageConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { SecretBox } from '../platform/secret-box.js';

async function withDirectory<T>(work: (numbers: NumberDirectory) => Promise<T>): Promise<T> {
  const config = loadStorageConfig();
  const storage = await openStorage(config, createLogger('warn'));
  try {
    const secrets = config.SWITCHBOARD_SECRET_KEY ? new SecretBox(config.SWITCHBOARD_SECRET_KEY) : null;
    return await work(new NumberDirectory(storage.database.db, storage.clock, secrets, null));
  } finally {
    await storage.database.close();
  }
}

export function registerNumbersCommand(program: Command): void {
  const numbers = program.command('numbers').description('WhatsApp numbers the hub sends from (tokens stored encrypted with SWITCHBOARD_SECRET_KEY)');

  numbers
    .command('add')
    .description('Add a number, or replace its access token and settings')
    .requiredOption('--phone-number-id <id>', "Meta's phone-number id")
    .requiredOption('--waba-id <id>', 'the WhatsApp Business Account id')
    .requiredOption('--access-token <token>', 'a system-user access token with whatsapp_business_messaging')
    .option('--display-phone-number <number>', 'the number as customers see it')
    .option('--throughput <mps>', 'messages per second Meta allows the number (80, or 1000 once upgraded)', '80')
    .action(async (options: { phoneNumberId: string; wabaId: string; accessToken: string; displayPhoneNumber?: string; throughput: string }) => {
      const parsed = NewNumberBody.safeParse({
        phoneNumberId: options.phoneNumberId,
        wabaId: options.wabaId,
        accessToken: options.accessToken,
        displayPhoneNumber: options.displayPhoneNumber ?? null,
        throughputMps: Number(options.throughput),
      });
      if (!parsed.success) throw new Error(`Invalid number: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const saved = await withDirectory((directory) => directory.save({ ...parsed.data, displayPhoneNumber: parsed.data.displayPhoneNumber ?? null }));
      if (!saved.ok) throw new Error(saved.error.message);
      console.log(`Saved number ${saved.value.phoneNumberId} (WABA ${saved.value.wabaId}, ${saved.value.throughputMps} messages/s).`);
    });

  numbers
    .command('list')
    .description('List the stored numbers (never their tokens)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const list = await withDirectory((directory) => directory.list());
      if (options.json) console.log(JSON.stringify(list.map(numberResponse), null, 2));
      else if (list.length === 0) console.log('No numbers stored. (A number set in the environment is not listed here.)');
      else for (const n of list.map(numberResponse)) console.log(`${n.phoneNumberId}  WABA ${n.wabaId}  ${n.displayPhoneNumber ?? ''}  ${n.throughputMps}/s  ${n.healthy ? 'ok' : `token expired ${n.tokenExpiredAt}`}`);
    });
}
