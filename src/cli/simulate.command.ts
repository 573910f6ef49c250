import { InvalidArgumentError, type Command } from 'commander';
import { createSimulator, DEFAULT_ACCESS_TOKEN, DEFAULT_NUMBER, MAX_WEBHOOK_UPDATES, type CustomerInput, type Simulator } from '../simulator/index.js';

/** Everything comes from flags (only platform/config.ts reads the environment). */
export type SimulateOptions = {
  port: number;
  host: string;
  webhookUrl: string;
  appSecret: string;
  accessToken: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
  wabaId: string;
  customers: number;
  autopilot: boolean;
  interval: number;
  seed?: number;
  /** Status webhooks batched as Meta does under load (the simulator's `webhookBatch`); 0 or absent: one POST per status. */
  webhookBatchMs?: number;
  /** The most statuses one batched POST carries (default: Meta's most, MAX_WEBHOOK_UPDATES). */
  webhookBatchMax?: number;
  /** How long each Graph request waits before it is answered, drawn from [min, max] (the simulator's `answerDelayMs`). */
  answerDelayMs?: { min: number; max: number };
};

export const DEFAULT_APP_SECRET = 'simulator-app-secret';

/** Demo customers in the markets whose number quirks matter (Brazil's ninth digit, Mexico's 521). */
const DEMO_CUSTOMERS: CustomerInput[] = [
  { name: 'Ana Souza', waId: '551187654321', aliases: ['5511987654321'] },
  { name: 'Carlos Hernández', waId: '5215512345678', aliases: ['525512345678'] },
  { name: 'Priya Sharma', waId: '919812345678' },
  { name: 'Oliver Bennett', waId: '447700900123' },
  { name: 'Emma Johnson', waId: '16505550142' },
  { name: 'Marina Costa', username: 'marina.costa' },
];

export async function startStandaloneSimulator(options: SimulateOptions): Promise<{ simulator: Simulator; baseUrl: string }> {
  const simulator = await createSimulator({
    webhookUrl: options.webhookUrl,
    appSecret: options.appSecret,
    accessTokens: [options.accessToken],
    numbers: [{ phoneNumberId: options.phoneNumberId, displayPhoneNumber: options.displayPhoneNumber, wabaId: options.wabaId }],
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    webhookBatch: { windowMs: options.webhookBatchMs ?? 0, maxUpdates: options.webhookBatchMax ?? MAX_WEBHOOK_UPDATES },
    ...(options.answerDelayMs ? { answerDelayMs: options.answerDelayMs } : {}),
    // Real-life pacing for a person watching: statuses over a few seconds, reviews after a few more.
    statusDelaysMs: { sent: 300, delivered: 1_200, read: 4_000 },
    templateReviewDelayMs: 5_000,
    templates: [
      { name: 'hello_world', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Hello World' }] },
      {
        name: 'order_update',
        language: 'en_US',
        category: 'UTILITY',
        components: [
          { type: 'BODY', text: 'Hi {{1}}, your order {{2}} is on its way.', example: { body_text: [['Ana', '4411']] } },
          { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Track it' }, { type: 'QUICK_REPLY', text: 'Talk to someone' }] },
        ],
      },
      {
        name: 'spring_sale',
        language: 'en_US',
        category: 'MARKETING',
        components: [
          { type: 'BODY', text: 'Use code {{1}} for 20% off until Sunday.', example: { body_text: [['SPRING20']] } },
          { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Stop promotions' }] },
        ],
      },
      // What the example rules (examples/rules/hot-lead.yaml) send a hot lead from the CRM.
      {
        name: 'property_inquiry',
        language: 'en_US',
        category: 'MARKETING',
        components: [
          { type: 'BODY', text: 'Hi {{1}}, thanks for your interest in our listings! Which budget range should we show you?', example: { body_text: [['Dana']] } },
          { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: '$500K – $1M' }, { type: 'QUICK_REPLY', text: '$1M – $2M' }, { type: 'QUICK_REPLY', text: '$2M+' }] },
        ],
      },
    ],
  });
  for (let i = 0; i < options.customers; i++) {
    const demo = DEMO_CUSTOMERS[i];
    simulator.addCustomer(demo ?? { name: `Customer ${i + 1}` });
  }
  const baseUrl = await simulator.listen(options.port, options.host);
  if (options.autopilot) simulator.startConversations({ intervalMs: options.interval });
  return { simulator, baseUrl };
}

/** `200` or `100-300` (ms, at most a minute). */
export function delayRange(value: string): { min: number; max: number } {
  const match = /^(\d+)(?:-(\d+))?$/.exec(value);
  const min = Number(match?.[1]);
  const max = match?.[2] === undefined ? min : Number(match[2]);
  if (!match || max < min || max > 60_000) throw new InvalidArgumentError('answer-delay-ms must be ms from 0 to 60000, or min-max with min <= max.');
  return { min, max };
}

/** What `delayRange` reads: `200`, or `100-300`. */
export function formatDelayRange({ min, max }: { min: number; max: number }): string {
  return min === max ? String(min) : `${min}-${max}`;
}

function integer(name: string, min: number, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    return n;
  };
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description("Run a local stand-in for Meta's Graph API and webhooks (point the hub's GRAPH_API_BASE_URL at it)")
    .option('--port <port>', 'port to listen on', integer('port', 0, 65535), 4010)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--webhook-url <url>', "the hub's webhook endpoint", 'http://127.0.0.1:3000/webhooks/whatsapp')
    .option('--app-secret <secret>', 'app secret that signs webhooks (the hub needs the same META_APP_SECRET)', DEFAULT_APP_SECRET)
    .option('--access-token <token>', 'bearer token the Graph endpoints accept', DEFAULT_ACCESS_TOKEN)
    .option('--phone-number-id <id>', 'business phone number id', DEFAULT_NUMBER.phoneNumberId)
    .option('--display-phone-number <digits>', 'business display phone number', DEFAULT_NUMBER.displayPhoneNumber)
    .option('--waba-id <id>', 'WhatsApp Business Account id', DEFAULT_NUMBER.wabaId)
    .option('--customers <n>', 'simulated customers to create', integer('customers', 0, 10_000), 5)
    .option('--autopilot', 'customers write in and answer by themselves', false)
    .option('--interval <ms>', 'autopilot: average time between customer messages', integer('interval', 100, 3_600_000), 5_000)
    .option('--seed <n>', 'seed for ids and randomness (repeats wamids: use a fresh hub database)', integer('seed', 0, 2 ** 32 - 1))
    .option('--webhook-batch-ms <ms>', 'batch status webhooks as Meta does under load: the statuses falling due within this window go out in one POST (0: one POST per status)', integer('webhook-batch-ms', 0, 60_000), 0)
    .option('--webhook-batch-max <n>', 'the most statuses one batched POST carries', integer('webhook-batch-max', 1, MAX_WEBHOOK_UPDATES), MAX_WEBHOOK_UPDATES)
    .option('--answer-delay-ms <ms>', "how long each Graph request waits before it is answered, as Meta's take 100-300 ms: a number, or min-max drawn evenly", delayRange)
    .action(async (options: SimulateOptions) => {
      const { simulator, baseUrl } = await startStandaloneSimulator(options);
      const number = simulator.numbers()[0]!;
      console.log(`Switchboard simulator listening on ${baseUrl}`);
      console.log(`  Graph API   GRAPH_API_BASE_URL=${baseUrl}   (POST ${baseUrl}/v23.0/${number.phoneNumberId}/messages, Bearer ${options.accessToken})`);
      console.log(`  Webhooks -> ${options.webhookUrl}${options.appSecret === DEFAULT_APP_SECRET ? `   (signed with META_APP_SECRET=${DEFAULT_APP_SECRET})` : ''}`);
      console.log(`  Number      ${number.phoneNumberId} (+${number.displayPhoneNumber}), WABA ${number.wabaId}`);
      console.log(`  Customers   ${simulator.customers().length}${options.autopilot ? ', autopilot on' : ''}   Control: ${baseUrl}/_simulator/state`);
      const batch = simulator.settings().webhookBatch;
      if (batch.windowMs > 0) console.log(`  Statuses    batched: those falling due within ${batch.windowMs} ms in one POST, at most ${batch.maxUpdates}`);
      const delay = simulator.settings().answerDelayMs;
      if (delay.max > 0) console.log(`  Answers     after ${formatDelayRange(delay)} ms`);
      let closing = false;
      const shutdown = (signal: string) => {
        if (closing) return;
        closing = true;
        console.error(`${signal} received, shutting down`);
        void simulator.close();
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
    });
}
