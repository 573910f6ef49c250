import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { signatureFor } from '../../src/modules/inbound/webhook-signature.js';

/**
 * Runs the real `switchboard` CLI (`node --import tsx src/cli/main.ts …`) as a child process, the
 * way an operator would, for end-to-end tests. Nothing here reaches into the server's memory:
 * tests talk to it over HTTP, and to its database through their own connection.
 */

/** The repository root: the CLI is started from there (as `npm run dev` does) unless a test says otherwise. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const CLI_ENTRY = 'src/cli/main.ts';
const TSX_LOADER = pathToFileURL(createRequire(join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const LISTENING = /Switchboard listening on (http:\/\/[^\s:]+:(\d+))/;

/**
 * Variables the server reads (src/platform/config.ts) are never inherited from the test runner's
 * own environment: an engineer's shell with a real token must not leak into a test server.
 */
const SERVER_VARIABLE = /^(PORT|HOST|DATABASE_URL|DEFAULT_REGION|LOG_LEVEL|REDIS_URL|MEDIA_DIR|MARK_INBOUND_AS_READ|(META|WHATSAPP|SWITCHBOARD|GRAPH_API|OUTBOUND|WORKER|JOB|WEBHOOK)_\w+)$/;

export type EnvOverrides = Record<string, string | undefined>;

export type ServerProcess = {
  baseUrl: string;
  port: number;
  apiToken: string;
  appSecret: string;
  verifyToken: string;
  process: ChildProcess;
  /** Everything the process printed so far (stdout and stderr interleaved as received). */
  output(): string;
  /** SIGTERM (graceful shutdown) and wait for the process to exit; resolves with its exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown, no flush, as in a power cut or an OOM kill. Resolves once the process is gone. */
  kill9(): Promise<void>;
};

export type StartServerOptions = {
  /** Unset: the command's own default (`sqlite:./data/switchboard.db`, under `cwd`). */
  databaseUrl?: string;
  /** Extra or overriding variables; `undefined` removes one (e.g. to test a missing secret). */
  env?: EnvOverrides;
  /** The CLI command and its options; `['serve']` by default. */
  command?: string[];
  /** The process's working directory (where `./data` is); the repository by default. */
  cwd?: string;
};

/** The child's environment: the runner's, minus anything the server reads, plus `vars` (undefined = unset). */
function childEnv(vars: EnvOverrides): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (SERVER_VARIABLE.test(key)) delete env[key];
  for (const [key, value] of Object.entries(vars)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

function waitForExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Starts `switchboard serve` (or `options.command`) on a free port and resolves once it prints its listening line. */
export async function startServer(options: StartServerOptions): Promise<ServerProcess> {
  const vars: EnvOverrides = {
    ...(options.databaseUrl === undefined ? {} : { DATABASE_URL: options.databaseUrl }),
    PORT: '0',
    HOST: '127.0.0.1',
    META_APP_SECRET: randomBytes(16).toString('hex'),
    WHATSAPP_VERIFY_TOKEN: randomBytes(12).toString('hex'),
    SWITCHBOARD_API_TOKEN: randomBytes(24).toString('base64url'),
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  // By absolute path and URL: from another working directory, `tsx` would not be found.
  const child = spawn(process.execPath, ['--import', TSX_LOADER, join(REPO_ROOT, CLI_ENTRY), ...(options.command ?? ['serve'])], {
    cwd: options.cwd ?? REPO_ROOT,
    env: childEnv(vars),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => (output += chunk));
  child.stderr?.on('data', (chunk: string) => (output += chunk));
  const exited = waitForExit(child);

  const listening = await new Promise<{ baseUrl: string; port: number }>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`switchboard did not start within ${START_TIMEOUT_MS} ms. Output:\n${output}`)), START_TIMEOUT_MS);
    const onData = () => {
      const match = LISTENING.exec(output);
      if (!match) return;
      cleanup();
      resolve({ baseUrl: match[1]!, port: Number(match[2]) });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(new Error(`switchboard exited before listening (code ${code}, signal ${signal}). Output:\n${output}`));
    const onError = (error: Error) => fail(new Error(`switchboard could not be spawned: ${error.message}. Output:\n${output}`));
    function cleanup() {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    function fail(error: Error) {
      cleanup();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(error);
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
    onData();
  });

  return {
    ...listening,
    apiToken: vars.SWITCHBOARD_API_TOKEN!,
    appSecret: vars.META_APP_SECRET!,
    verifyToken: vars.WHATSAPP_VERIFY_TOKEN!,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(STOP_TIMEOUT_MS).then(() => 'timeout' as const)]);
      if (code === 'timeout') {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`switchboard did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM. Output:\n${output}`);
      }
      return code;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export type CliResult = { code: number | null; stdout: string; stderr: string };

/** Runs one CLI command to completion (`dlq list`, `serve` with a bad config, …) with only `env` as configuration. */
export async function runCli(args: string[], env: EnvOverrides, timeoutMs = 60_000): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, join(REPO_ROOT, CLI_ENTRY), ...args], {
    cwd: REPO_ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const code = await exited;
    if (child.signalCode === 'SIGKILL') throw new Error(`switchboard ${args.join(' ')} did not finish within ${timeoutMs} ms.\n${stdout}${stderr}`);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

export type HttpResult<T = unknown> = { status: number; headers: Headers; text: string; json: T };

async function toResult<T>(response: Response): Promise<HttpResult<T>> {
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json: json as T };
}

/**
 * POSTs a body to the webhook as Meta would. `signature`: omitted → the correct
 * `X-Hub-Signature-256` for the server's app secret; a string → sent as is; null → no header.
 */
export async function postSignedWebhook(
  server: Pick<ServerProcess, 'baseUrl' | 'appSecret'>,
  body: string | Buffer,
  options: { signature?: string | null } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const signature = options.signature === undefined ? signatureFor(body, server.appSecret) : options.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  const response = await fetch(`${server.baseUrl}/webhooks/whatsapp`, { method: 'POST', headers, body });
  return toResult(response);
}

/** Calls the REST API with the server's bearer token; `path` is relative to /api/v1 unless it starts with `/`. */
export async function api<T = unknown>(server: Pick<ServerProcess, 'baseUrl' | 'apiToken'>, path: string, init: RequestInit = {}): Promise<HttpResult<T>> {
  const url = path.startsWith('/') ? `${server.baseUrl}${path}` : `${server.baseUrl}/api/v1/${path}`;
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${server.apiToken}`);
  // JSON unless the body brings its own type (multipart FormData sets its boundary itself).
  const typed = init.body instanceof FormData || init.body instanceof Blob || init.body instanceof URLSearchParams;
  if (init.body !== undefined && !typed && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return toResult<T>(await fetch(url, { ...init, headers }));
}

/**
 * Polls `fn` until it returns without throwing and returns something other than `false`, and
 * resolves with that value. At the deadline, fails with the last error (so an `expect` inside `fn`
 * reports what was still wrong).
 */
export async function waitFor<T>(fn: () => T | Promise<T>, options: { timeoutMs: number; intervalMs?: number; message?: string }): Promise<Exclude<T, false>> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown = new Error('the condition was still false');
  for (;;) {
    try {
      const value = await fn();
      if (value !== false) return value as Exclude<T, false>;
      lastError = new Error('the condition was still false');
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      const error = new Error(`${options.message ?? 'waitFor'}: not true after ${options.timeoutMs} ms: ${reason}`);
      if (lastError instanceof Error) error.stack = `${error.message}\n${lastError.stack ?? ''}`;
      throw error;
    }
    await sleep(options.intervalMs ?? 50);
  }
}
