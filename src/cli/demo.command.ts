import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { demoTeam, ensureDemoUsers } from '../modules/inbox/index.js';
import { processEnv, type Env } from '../platform/config.js';
import { DEFAULT_ACCESS_TOKEN, DEFAULT_NUMBER } from '../simulator/index.js';
import { serve } from './serve.command.js';
import { startStandaloneSimulator } from './simulate.command.js';

const SECRETS_FILE = './data/demo-secrets.json';
/** Rules that use the simulator's property_inquiry template, so the demo shows automation at work. */
export const DEMO_RULES_FILE = fileURLToPath(new URL('../../examples/rules/hot-lead.yaml', import.meta.url));

type DemoSecrets = {
  META_APP_SECRET: string;
  WHATSAPP_VERIFY_TOKEN: string;
  SWITCHBOARD_API_TOKEN: string;
  SWITCHBOARD_SECRET_KEY: string;
  PRIVACY_SALT: string;
  /** Passwords of the demo's inbox users (admin, and both agents). */
  DEMO_ADMIN_PASSWORD: string;
  DEMO_AGENT_PASSWORD: string;
};

const GENERATORS: Record<keyof DemoSecrets, () => string> = {
  META_APP_SECRET: () => randomBytes(16).toString('hex'),
  WHATSAPP_VERIFY_TOKEN: () => randomBytes(12).toString('hex'),
  SWITCHBOARD_API_TOKEN: () => randomBytes(24).toString('base64url'),
  SWITCHBOARD_SECRET_KEY: () => randomBytes(32).toString('base64url'),
  PRIVACY_SALT: () => randomBytes(24).toString('base64url'),
  DEMO_ADMIN_PASSWORD: () => randomBytes(9).toString('base64url'),
  DEMO_AGENT_PASSWORD: () => randomBytes(9).toString('base64url'),
};

/**
 * Secrets for a local run, made once and kept under ./data so that tokens survive restarts
 * (and the privacy salt never changes). A file from an older version gets the missing ones.
 */
function demoSecrets(): DemoSecrets {
  const stored: Partial<DemoSecrets> = existsSync(SECRETS_FILE) ? (JSON.parse(readFileSync(SECRETS_FILE, 'utf8')) as Partial<DemoSecrets>) : {};
  const secrets = Object.fromEntries(
    (Object.keys(GENERATORS) as (keyof DemoSecrets)[]).map((key) => [key, stored[key] ?? GENERATORS[key]()]),
  ) as DemoSecrets;
  if (Object.keys(stored).length !== Object.keys(secrets).length) {
    mkdirSync(dirname(SECRETS_FILE), { recursive: true });
    writeFileSync(SECRETS_FILE, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}

type DemoOptions = { simulator: boolean; simulatorPort: string; customers: string; interval: string };

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run locally on embedded defaults: SQLite under ./data, generated secrets, and the Meta simulator with customers who write in')
    .option('--no-simulator', 'run the hub alone (point GRAPH_API_BASE_URL and the webhook at Meta or your own simulator)')
    .option('--simulator-port <port>', 'port of the simulated Graph API', '4010')
    .option('--customers <n>', 'simulated customers', '5')
    .option('--interval <ms>', 'average time between customer messages', '8000')
    .action(async (options: DemoOptions) => {
      // Variables the user set win over the generated ones.
      const secrets = demoSecrets();
      let env: Env = { ...secrets, ...processEnv() };
      const host = env.HOST ?? '127.0.0.1';
      let simulator: Awaited<ReturnType<typeof startStandaloneSimulator>> | null = null;
      if (options.simulator) {
        simulator = await startStandaloneSimulator({
          port: Number(options.simulatorPort),
          host,
          webhookUrl: `http://${host}:${env.PORT ?? 3000}/webhooks/whatsapp`,
          appSecret: env.META_APP_SECRET!,
          accessToken: DEFAULT_ACCESS_TOKEN,
          phoneNumberId: DEFAULT_NUMBER.phoneNumberId,
          displayPhoneNumber: DEFAULT_NUMBER.displayPhoneNumber!,
          wabaId: DEFAULT_NUMBER.wabaId,
          customers: Number(options.customers),
          autopilot: false,
          interval: Number(options.interval),
        });
        env = {
          WHATSAPP_PHONE_NUMBER_ID: DEFAULT_NUMBER.phoneNumberId,
          WHATSAPP_BUSINESS_ACCOUNT_ID: DEFAULT_NUMBER.wabaId,
          WHATSAPP_DISPLAY_PHONE_NUMBER: DEFAULT_NUMBER.displayPhoneNumber,
          WHATSAPP_ACCESS_TOKEN: DEFAULT_ACCESS_TOKEN,
          GRAPH_API_BASE_URL: simulator.baseUrl,
          // Absent from a package built without examples/: the demo then runs without rules.
          ...(existsSync(DEMO_RULES_FILE) ? { AUTOMATION_RULES_FILE: DEMO_RULES_FILE } : {}),
          ...env,
        };
      }
      const sim = simulator?.simulator;
      const switchboard = await serve(env, { http: true, worker: true }, async () => sim?.close());
      const address = switchboard.app?.server.address();
      const hubUrl = `http://${host}:${typeof address === 'object' && address ? address.port : (env.PORT ?? 3000)}`;
      const token = env.SWITCHBOARD_API_TOKEN;
      // The shared inbox opens on a team: an admin and two agents (created once, kept in the secrets file).
      const team = demoTeam({ admin: secrets.DEMO_ADMIN_PASSWORD, agent: secrets.DEMO_AGENT_PASSWORD });
      await ensureDemoUsers(switchboard.storage.database.db, team, switchboard.storage);
      console.log(`Shared inbox: ${hubUrl}/  (passwords kept in ${SECRETS_FILE})`);
      for (const member of team) console.log(`  ${member.role.padEnd(5)}  ${member.email}  ${member.password}`);
      console.log(`API token: ${token}   (kept in ${SECRETS_FILE})`);
      if (sim && simulator) {
        // The hub may have taken another port (PORT=0): tell the simulator where to deliver.
        sim.configure({ webhookUrl: `${hubUrl}/webhooks/whatsapp` });
        sim.startConversations({ intervalMs: Number(options.interval) });
        const customer = sim.customers()[0];
        console.log(`Meta simulator: ${simulator.baseUrl} with ${sim.customers().length} customers writing in (state: ${simulator.baseUrl}/_simulator/state)`);
        if (customer?.waId) {
          // The customer the reply below goes to writes first, so that the reply works at once
          // instead of after the autopilot happens to pick them (a free-form reply needs their window open).
          sim.customerSays(customer, DEFAULT_NUMBER.phoneNumberId, 'Olá! Is my order on its way?');
          console.log(`Reply to ${customer.name}, who has just written (the 24-hour window is open):`);
          console.log(`  curl -s -X POST ${hubUrl}/api/v1/messages -H "Authorization: Bearer ${token}" -H 'content-type: application/json' \\`);
          console.log(`    -d '{"to":"+${customer.waId}","type":"text","text":{"body":"Hello from Switchboard"}}'`);
        }
        if (env.AUTOMATION_RULES_FILE === DEMO_RULES_FILE) {
          console.log(`Automation (rules: ${DEMO_RULES_FILE}): a hot lead gets the property inquiry, the simulated customer taps a budget:`);
          console.log(`  curl -s -X POST ${hubUrl}/api/v1/crm/people -H "Authorization: Bearer ${token}" -H 'content-type: application/json' \\`);
          console.log(`    -d '{"name":"Dana Whitfield","phone":"+14155550142","tags":["Hot Lead – High Priority"]}'`);
          console.log(`  then: curl -s ${hubUrl}/api/v1/automation/runs -H "Authorization: Bearer ${token}"   (and GET /api/v1/crm/people/{id}: budget and task)`);
        }
      }
      console.log(`Contacts: curl -s "${hubUrl}/api/v1/contacts?phone=%2B5511987654321" -H "Authorization: Bearer ${token}"`);
    });
}
