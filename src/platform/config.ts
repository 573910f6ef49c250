import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * The one reader of `process.env`. Every setting is declared here with its default;
 * the rest of the code receives the frozen `Config` object.
 */
const DatabaseUrl = z
  .string()
  .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, 'must be sqlite:PATH or postgres://…');

const IsoRegion = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code such as US or BR');

const Flag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

const isAddressOrCidr = (entry: string) => {
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
};

/**
 * Which proxies in front of the hub to believe about the client (X-Forwarded-For, -Proto), in
 * the shape Fastify's `trustProxy` takes: unset or `false`, none (the peer is the client); a
 * comma-separated list of the proxies' addresses or CIDRs; `true`, any (only when the proxy is
 * the sole way in). Not a hop count: it cannot tell a proxy from a client that forges the header.
 * Login throttling per address and Secure cookies depend on it.
 */
const TrustProxy = z
  .string()
  .trim()
  .default('false')
  .transform((raw, ctx): boolean | string[] => {
    if (raw === '' || raw === 'false') return false;
    if (raw === 'true') return true;
    const entries = raw.split(',').map((e) => e.trim()).filter(Boolean);
    const bad = entries.find((e) => !isAddressOrCidr(e));
    if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `has "${bad}", which is not an IP address or CIDR (use false, true, or the proxies' addresses)` });
    return entries;
  });

const ConfigFields = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: DatabaseUrl.default('sqlite:./data/switchboard.db'),
  META_APP_SECRET: z.string().min(1, 'is required (the App Secret from the Meta app dashboard)'),
  WHATSAPP_VERIFY_TOKEN: z.string().min(1, 'is required (the verify token you typed in the Meta dashboard)'),
  SWITCHBOARD_API_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  DEFAULT_REGION: IsoRegion.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WORKER_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(100),
  /** An idle worker woken by new jobs waits this long before claiming them, so that a trickle is taken in batches. */
  WORKER_GATHER_MS: z.coerce.number().int().min(0).max(1000).default(5),
  /** While requests keep the event loop busy, the worker (in `serve`) takes about this share of the time; 1: no giving way. */
  WORKER_BUSY_SHARE: z.coerce.number().min(0.05).max(1).default(0.25),
  JOB_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  /** Finished jobs are deleted this long after they ran (hourly); dead ones stay for `switchboard dlq`. */
  JOB_KEEP_DONE_HOURS: z.coerce.number().int().min(2).max(24 * 365).default(7 * 24),
  WEBHOOK_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(4 * 1024 * 1024),

  // One WhatsApp number configured entirely from the environment (more with `switchboard numbers add`).
  WHATSAPP_PHONE_NUMBER_ID: z.string().regex(/^\d+$/, 'must be the numeric phone-number id from Meta').optional(),
  WHATSAPP_BUSINESS_ACCOUNT_ID: z.string().regex(/^\d+$/, 'must be the numeric WABA id from Meta').optional(),
  WHATSAPP_DISPLAY_PHONE_NUMBER: z.string().optional(),
  WHATSAPP_ACCESS_TOKEN: z.string().min(1).optional(),
  WHATSAPP_THROUGHPUT_MPS: z.coerce.number().int().min(1).max(10_000).default(80),
  GRAPH_API_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://graph.facebook.com'),
  GRAPH_API_VERSION: z.string().regex(/^v\d+\.\d+$/, 'must look like v24.0').default('v24.0'),
  GRAPH_API_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  /** Encrypts access tokens stored in the database; required once a number is stored. */
  SWITCHBOARD_SECRET_KEY: z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -base64 32)').optional(),
  /** Shared rate-limit buckets for several processes; in-process buckets without it. */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  MARK_INBOUND_AS_READ: Flag.default(false),
  /** After a send with no answer, how long to wait for a status webhook that proves it went out before sending again. */
  OUTBOUND_IN_DOUBT_MS: z.coerce.number().int().min(0).default(120_000),
  OUTBOUND_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(10),
  /** Sends in flight per process; unset, sized from the numbers' throughput (outbound `senderConcurrency`, at most 512). */
  OUTBOUND_CONCURRENCY: z.coerce.number().int().min(1).max(512).optional(),
  MEDIA_DIR: z.string().min(1).default('./data/media'),

  /** The template language for contacts whose locale is unknown (Meta's codes: en_US, pt_BR, …). */
  TEMPLATE_DEFAULT_LANGUAGE: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'must be a language code such as en_US').default('en_US'),
  /** Time zone for date and time template parameters. */
  TEMPLATE_TIME_ZONE: z.string().min(1).default('UTC'),
  /** Salts the hashes an erased person leaves behind (so their opt-out is still honoured). Never change it. */
  PRIVACY_SALT: z.string().min(16, 'must be at least 16 characters, and must never change').optional(),
  /** Purge message bodies and media older than this many days; unset keeps everything. */
  RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
  CONSENT_MARKETING_POLICY: z.enum(['respect-opt-out', 'require-opt-in']).default('respect-opt-out'),
  CONSENT_UTILITY_POLICY: z.enum(['ignore-opt-out', 'respect-opt-out', 'require-opt-in']).default('ignore-opt-out'),
  CONSENT_AUTHENTICATION_POLICY: z.enum(['ignore-opt-out', 'respect-opt-out', 'require-opt-in']).default('ignore-opt-out'),
  /** Extra opt-out / opt-in keywords, comma-separated, matched like the built-in ones (whole message). */
  CONSENT_OPT_OUT_KEYWORDS: z.string().optional(),
  CONSENT_OPT_IN_KEYWORDS: z.string().optional(),
  /** Built-in keywords to ignore (e.g. CANCEL where customers use it about orders), comma-separated. */
  CONSENT_IGNORED_KEYWORDS: z.string().optional(),
  /** A reply sent when a keyword opts someone out (or back in); unset sends nothing. */
  CONSENT_OPT_OUT_REPLY: z.string().min(1).max(4096).optional(),
  CONSENT_OPT_IN_REPLY: z.string().min(1).max(4096).optional(),

  // Automation: rules loaded at start (JSON or YAML, upserted by id) and the webhook action's limits.
  AUTOMATION_RULES_FILE: z.string().min(1).optional(),
  /** Lets webhook actions reach private, loopback and link-local addresses (tests, internal services). */
  AUTOMATION_WEBHOOK_ALLOW_PRIVATE: Flag.default(false),
  AUTOMATION_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(5_000),

  // CRM: the built-in one, or an external CRM whose credentials follow (base URLs point at fakes in tests).
  CRM_CONNECTOR: z.enum(['builtin', 'hubspot', 'salesforce', 'zoho', 'pipedrive']).default('builtin'),
  /** How often an external CRM's change feed is read. */
  CRM_POLL_INTERVAL_MS: z.coerce.number().int().min(1_000).max(24 * 3_600_000).default(60_000),
  /** Field mapping as JSON (a list, or a list per connector), or a JSON/YAML file holding it. */
  CRM_FIELD_MAP: z.string().min(2).optional(),
  CRM_FIELD_MAP_FILE: z.string().min(1).optional(),
  HUBSPOT_ACCESS_TOKEN: z.string().min(1).optional(),
  HUBSPOT_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://api.hubapi.com'),
  /** The HubSpot app's client secret and the exact webhook URL configured in it: both sign HubSpot's webhooks (v3). */
  HUBSPOT_WEBHOOK_SECRET: z.string().min(1).optional(),
  HUBSPOT_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  SALESFORCE_LOGIN_URL: z.url({ protocol: /^https?$/ }).default('https://login.salesforce.com'),
  SALESFORCE_CLIENT_ID: z.string().min(1).optional(),
  SALESFORCE_USERNAME: z.string().min(1).optional(),
  /** PEM; `\n` escapes are read as line breaks (one-line environment values). */
  SALESFORCE_PRIVATE_KEY: z
    .string()
    .min(1)
    .transform((pem) => pem.replace(/\\n/g, '\n'))
    .refine((pem) => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem), 'must be a PEM private key (-----BEGIN PRIVATE KEY-----…)')
    .optional(),
  ZOHO_ACCOUNTS_URL: z.url({ protocol: /^https?$/ }).default('https://accounts.zoho.com'),
  ZOHO_API_URL: z.url({ protocol: /^https?$/ }).default('https://www.zohoapis.com'),
  ZOHO_CLIENT_ID: z.string().min(1).optional(),
  ZOHO_CLIENT_SECRET: z.string().min(1).optional(),
  ZOHO_REFRESH_TOKEN: z.string().min(1).optional(),
  PIPEDRIVE_API_TOKEN: z.string().min(1).optional(),
  PIPEDRIVE_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://api.pipedrive.com'),
  /** The basic-auth user and password set on the Pipedrive webhook; without them its webhooks are refused. */
  PIPEDRIVE_WEBHOOK_USER: z.string().min(1).optional(),
  PIPEDRIVE_WEBHOOK_PASSWORD: z.string().min(1).optional(),
  /** Shared inbox: who gets a new conversation (manual: nobody, it waits in "unassigned"). */
  INBOX_ASSIGNMENT: z.enum(['manual', 'round_robin', 'fewest_open']).default('round_robin'),
  /** A session ends after this long without a request, and after SESSION_MAX_HOURS in any case. */
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(60 * 24 * 30).default(8 * 60),
  SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(24 * 365).default(7 * 24),
  /** Failed logins allowed per email and per client address within LOGIN_WINDOW_MINUTES before 429. */
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
  LOGIN_WINDOW_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
  TRUST_PROXY: TrustProxy,
});

/** The variables each external CRM cannot start without. */
const CRM_CREDENTIALS = {
  builtin: [],
  hubspot: ['HUBSPOT_ACCESS_TOKEN'],
  salesforce: ['SALESFORCE_CLIENT_ID', 'SALESFORCE_USERNAME', 'SALESFORCE_PRIVATE_KEY'],
  zoho: ['ZOHO_CLIENT_ID', 'ZOHO_CLIENT_SECRET', 'ZOHO_REFRESH_TOKEN'],
  pipedrive: ['PIPEDRIVE_API_TOKEN'],
} as const;

const CRM_FIELDS = {
  CRM_CONNECTOR: true,
  CRM_POLL_INTERVAL_MS: true,
  CRM_FIELD_MAP: true,
  CRM_FIELD_MAP_FILE: true,
  HUBSPOT_ACCESS_TOKEN: true,
  HUBSPOT_BASE_URL: true,
  HUBSPOT_WEBHOOK_SECRET: true,
  HUBSPOT_WEBHOOK_URL: true,
  SALESFORCE_LOGIN_URL: true,
  SALESFORCE_CLIENT_ID: true,
  SALESFORCE_USERNAME: true,
  SALESFORCE_PRIVATE_KEY: true,
  ZOHO_ACCOUNTS_URL: true,
  ZOHO_API_URL: true,
  ZOHO_CLIENT_ID: true,
  ZOHO_CLIENT_SECRET: true,
  ZOHO_REFRESH_TOKEN: true,
  PIPEDRIVE_API_TOKEN: true,
  PIPEDRIVE_BASE_URL: true,
  PIPEDRIVE_WEBHOOK_USER: true,
  PIPEDRIVE_WEBHOOK_PASSWORD: true,
} as const;

function refineCrm(config: z.infer<ReturnType<typeof ConfigFields.pick<typeof CRM_FIELDS>>>, ctx: z.RefinementCtx): void {
  for (const variable of CRM_CREDENTIALS[config.CRM_CONNECTOR]) {
    if (!config[variable]) ctx.addIssue({ code: 'custom', path: [variable], message: `is required when CRM_CONNECTOR=${config.CRM_CONNECTOR}` });
  }
  if (config.CRM_FIELD_MAP && config.CRM_FIELD_MAP_FILE) {
    ctx.addIssue({ code: 'custom', path: ['CRM_FIELD_MAP_FILE'], message: 'cannot be set together with CRM_FIELD_MAP (choose one)' });
  }
}

const ConfigSchema = ConfigFields.superRefine((config, ctx) => {
  refineCrm(config, ctx);
  // A number from the environment needs its token, and the other way round.
  if (config.WHATSAPP_PHONE_NUMBER_ID && !config.WHATSAPP_ACCESS_TOKEN) {
    ctx.addIssue({ code: 'custom', path: ['WHATSAPP_ACCESS_TOKEN'], message: 'is required when WHATSAPP_PHONE_NUMBER_ID is set' });
  }
  if (config.WHATSAPP_PHONE_NUMBER_ID && !config.WHATSAPP_BUSINESS_ACCOUNT_ID) {
    ctx.addIssue({ code: 'custom', path: ['WHATSAPP_BUSINESS_ACCOUNT_ID'], message: 'is required when WHATSAPP_PHONE_NUMBER_ID is set (templates live in the WABA)' });
  }
  if (config.WHATSAPP_ACCESS_TOKEN && !config.WHATSAPP_PHONE_NUMBER_ID) {
    ctx.addIssue({ code: 'custom', path: ['WHATSAPP_PHONE_NUMBER_ID'], message: 'is required when WHATSAPP_ACCESS_TOKEN is set' });
  }
});

export type Config = Readonly<z.infer<typeof ConfigSchema>>;
export type Env = Record<string, string | undefined>;

/** A configuration value is missing or invalid; `message` is one line that names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** A copy of the process environment, for commands that add to it before `loadConfig`. */
export function processEnv(): Env {
  return { ...process.env };
}

/** Parses the environment (defaults to `process.env`); throws `ConfigError` naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  return Object.freeze(parseEnv(ConfigSchema, env));
}

const StorageConfigSchema = ConfigFields.pick({ DATABASE_URL: true, LOG_LEVEL: true, JOB_MAX_ATTEMPTS: true, SWITCHBOARD_SECRET_KEY: true });
export type StorageConfig = Readonly<z.infer<typeof StorageConfigSchema>>;

/** Only what maintenance commands (`migrate`, `dlq`) need: no Meta secrets. */
export function loadStorageConfig(env: Env = process.env): StorageConfig {
  return Object.freeze(parseEnv(StorageConfigSchema, env));
}

const CrmConfigSchema = ConfigFields.pick({
  ...CRM_FIELDS,
  DATABASE_URL: true,
  LOG_LEVEL: true,
  JOB_MAX_ATTEMPTS: true,
  SWITCHBOARD_SECRET_KEY: true,
  DEFAULT_REGION: true,
  REDIS_URL: true,
}).superRefine(refineCrm);
export type CrmConfig = Readonly<z.infer<typeof CrmConfigSchema>>;

/** What `switchboard crm` commands need: the database and the CRM, no Meta secrets. */
export function loadCrmConfig(env: Env = process.env): CrmConfig {
  return Object.freeze(parseEnv(CrmConfigSchema, env));
}

function parseEnv<S extends z.ZodType>(schema: S, env: Env): z.infer<S> {
  // Empty strings count as unset so that `FOO= switchboard serve` falls back to the default.
  const cleaned: Env = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    const reason = issue?.code === 'invalid_type' && cleaned[variable] === undefined ? 'is required' : issue?.message;
    throw new ConfigError(`Invalid configuration: ${variable} ${reason}`);
  }
  return parsed.data;
}

const SECRET_KEYS = [
  'META_APP_SECRET',
  'WHATSAPP_VERIFY_TOKEN',
  'SWITCHBOARD_API_TOKEN',
  'WHATSAPP_ACCESS_TOKEN',
  'SWITCHBOARD_SECRET_KEY',
  'PRIVACY_SALT',
  'HUBSPOT_ACCESS_TOKEN',
  'HUBSPOT_WEBHOOK_SECRET',
  'SALESFORCE_PRIVATE_KEY',
  'ZOHO_CLIENT_SECRET',
  'ZOHO_REFRESH_TOKEN',
  'PIPEDRIVE_API_TOKEN',
  'PIPEDRIVE_WEBHOOK_PASSWORD',
] as const;

/** The configuration with secrets masked, for start-up logs. */
export function redactedConfig(config: Config): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...config };
  for (const key of SECRET_KEYS) if (copy[key] !== undefined) copy[key] = '[redacted]';
  copy['DATABASE_URL'] = config.DATABASE_URL.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:[redacted]@');
  if (config.REDIS_URL) copy['REDIS_URL'] = config.REDIS_URL.replace(/\/\/([^@/]*)@/, '//[redacted]@');
  return copy;
}
