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

const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: DatabaseUrl.default('sqlite:./data/switchboard.db'),
  META_APP_SECRET: z.string().min(1, 'is required (the App Secret from the Meta app dashboard)'),
  WHATSAPP_VERIFY_TOKEN: z.string().min(1, 'is required (the verify token you typed in the Meta dashboard)'),
  SWITCHBOARD_API_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  DEFAULT_REGION: IsoRegion.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WORKER_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(200),
  JOB_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  WEBHOOK_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(4 * 1024 * 1024),
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

const StorageConfigSchema = ConfigSchema.pick({ DATABASE_URL: true, LOG_LEVEL: true, JOB_MAX_ATTEMPTS: true });
export type StorageConfig = Readonly<z.infer<typeof StorageConfigSchema>>;

/** Only what maintenance commands (`migrate`, `dlq`) need: no Meta secrets. */
export function loadStorageConfig(env: Env = process.env): StorageConfig {
  return Object.freeze(parseEnv(StorageConfigSchema, env));
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

const SECRET_KEYS = ['META_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN', 'SWITCHBOARD_API_TOKEN'] as const;

/** The configuration with secrets masked, for start-up logs. */
export function redactedConfig(config: Config): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...config };
  for (const key of SECRET_KEYS) copy[key] = '[redacted]';
  copy['DATABASE_URL'] = config.DATABASE_URL.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:[redacted]@');
  return copy;
}
