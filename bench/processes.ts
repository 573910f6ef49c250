import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Child processes and temp directories of a benchmark run, cleaned up whatever happens: normal
 * end, thrown error, Ctrl-C, SIGTERM. Only what this module started is ever signalled (by pid).
 */

export type Server = {
  name: string;
  port: number;
  url: string;
  pid: number;
  /** The last lines the child wrote on stdout/stderr, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null if killed by a signal). */
  stop(graceMs?: number): Promise<number | null>;
};

const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let hooksInstalled = false;

function killAllSync(): void {
  for (const child of liveChildren) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  liveChildren.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping child processes and removing temp files`);
      killAllSync();
      process.exit(130);
    });
  }
}

export function makeTempDir(prefix: string): string {
  installHooks();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Stops every child still running and removes every temp dir (also done automatically on exit). */
export async function cleanupAll(): Promise<void> {
  await Promise.all([...liveChildren].map((child) => stopChild(child, 5_000)));
  for (const dir of [...tempDirs]) removeTempDir(dir);
}

function stopChild(child: ChildProcess, graceMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const done = () => {
      liveChildren.delete(child);
      resolve(child.exitCode);
    };
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return done();
    const timer = setTimeout(() => {
      try {
        process.kill(child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {
      clearTimeout(timer);
      done();
    }
  });
}

/**
 * Spawns `command args` and waits (at most `timeoutMs`) for a stdout line matching `ready`, whose
 * first capture group, if any, is the port.
 */
export function startServer(options: {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  ready: RegExp;
  timeoutMs?: number;
}): Promise<Server> {
  installHooks();
  const child = spawn(options.command, options.args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  liveChildren.add(child);
  const lines: string[] = [];
  const remember = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(line);
    if (lines.length > 60) lines.splice(0, lines.length - 60);
  };
  const output = () => lines.join('\n');

  return new Promise<Server>((resolve, reject) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stopChild(child, 1_000).then(() => reject(new Error(`${options.name}: ${message}\n--- its output ---\n${output()}`)));
    };
    const timer = setTimeout(() => fail(`not ready after ${options.timeoutMs ?? 20_000} ms`), options.timeoutMs ?? 20_000);
    child.once('error', (error) => fail(`could not start: ${error.message}`));
    child.once('exit', (code, signal) => fail(`exited during start-up (code ${code}, signal ${signal})`));
    child.stderr!.on('data', remember);
    let startupText = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      remember(chunk);
      if (settled) return;
      startupText += chunk.toString('utf8');
      const match = options.ready.exec(startupText);
      if (!match) return;
      settled = true;
      clearTimeout(timer);
      const port = Number(match[1] ?? 0);
      resolve({
        name: options.name,
        port,
        url: `http://127.0.0.1:${port}`,
        pid: child.pid!,
        output,
        stop: (graceMs = 10_000) => stopChild(child, graceMs),
      });
    });
  });
}
