import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { processEnv } from '../platform/config.js';
import { serve } from './serve.command.js';

const SECRETS_FILE = './data/demo-secrets.json';

type DemoSecrets = { META_APP_SECRET: string; WHATSAPP_VERIFY_TOKEN: string; SWITCHBOARD_API_TOKEN: string };

/** Secrets for a local run, made once and kept under ./data so that tokens survive restarts. */
function demoSecrets(): DemoSecrets {
  if (existsSync(SECRETS_FILE)) return JSON.parse(readFileSync(SECRETS_FILE, 'utf8')) as DemoSecrets;
  const secrets: DemoSecrets = {
    META_APP_SECRET: randomBytes(16).toString('hex'),
    WHATSAPP_VERIFY_TOKEN: randomBytes(12).toString('hex'),
    SWITCHBOARD_API_TOKEN: randomBytes(24).toString('base64url'),
  };
  mkdirSync(dirname(SECRETS_FILE), { recursive: true });
  writeFileSync(SECRETS_FILE, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run locally on embedded defaults: SQLite under ./data, secrets generated on first run')
    .action(async () => {
      // Variables the user set win over the generated ones.
      const env: Record<string, string | undefined> = { ...demoSecrets(), ...processEnv() };
      await serve(env, { http: true, worker: true });
      console.log(`API token: ${env.SWITCHBOARD_API_TOKEN}   (kept in ${SECRETS_FILE})`);
      console.log(`Try: curl -H "Authorization: Bearer ${env.SWITCHBOARD_API_TOKEN}" "http://${env.HOST ?? '127.0.0.1'}:${env.PORT ?? 3000}/api/v1/contacts?phone=%2B5511987654321"`);
    });
}
