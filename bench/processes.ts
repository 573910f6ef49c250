import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Child processes and temp directories of a benchmark run, cleaned up whatever happens: normal
 * end, thrown error, Ctrl-C, SIGTERM, SIGHUP. Only what this module started is ever signalled,
 * by pid.
 */

export type Child = {
  name: string;
  pid: number;
  /** The last lines the child wrote (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (null if killed by a signal) once the child has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
};

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let hooked = false;

function killAllSync(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  live.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping child processes and removing temp files`);
      killAllSync();
      process.exit(130);
    });
  }
}

export function tempDir(prefix: string): string {
  hook();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/**
 * Spawns a child and resolves once a stdout line matches `ready` (with the match), or rejects
 * (after killing it) when it exits first or `timeoutMs` passes.
 */
export function startChild(options: {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  ready: RegExp;
  timeoutMs?: number;
}): Promise<{ child: Child; match: RegExpExecArray }> {
  hook();
  const proc = spawn(options.command, options.args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  const lines: string[] = [];
  const remember = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(line);
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  const output = () => lines.join('\n');
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => {
      live.delete(proc);
      resolve(code);
    });
    proc.once('error', () => {
      live.delete(proc);
      resolve(null);
    });
  });
  const stop = (graceMs = 10_000): Promise<number | null> => {
    if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return exited;
    const timer = setTimeout(() => {
      try {
        process.kill(proc.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, graceMs);
    void exited.then(() => clearTimeout(timer));
    try {
      process.kill(proc.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    return exited;
  };

  return new Promise((resolve, reject) => {
    let settled = false;
    let text = '';
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop(1_000).then(() => reject(new Error(`${options.name}: ${message}\n--- its output ---\n${output()}`)));
    };
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    proc.once('error', (error) => fail(`could not start: ${error.message}`));
    void exited.then((code) => fail(`exited before it was ready (code ${code})`));
    proc.stderr!.on('data', remember);
    proc.stdout!.on('data', (chunk: Buffer) => {
      remember(chunk);
      if (settled) return;
      text += chunk.toString('utf8');
      const match = options.ready.exec(text);
      if (!match) return;
      settled = true;
      clearTimeout(timer);
      resolve({ child: { name: options.name, pid: proc.pid!, output, exited, stop }, match });
    });
  });
}

/** A child that serves HTTP on the port its ready line names. */
export type Server = Child & { port: number; url: string };

/**
 * Spawns a server and waits (at most `timeoutMs`) for a stdout line matching `ready`, whose first
 * capture group, if any, is the port.
 */
export async function startServer(options: Parameters<typeof startChild>[0]): Promise<Server> {
  const { child, match } = await startChild({ timeoutMs: 20_000, ...options });
  const port = Number(match[1] ?? 0);
  return { ...child, port, url: `http://127.0.0.1:${port}` };
}

/** Stops every child still running and removes every temp dir (also done on exit). */
export async function cleanup(): Promise<void> {
  for (const proc of [...live]) {
    if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          try {
            process.kill(proc.pid!, 'SIGKILL');
          } catch {
            // already gone
          }
        }, 5_000);
        proc.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        try {
          process.kill(proc.pid!, 'SIGTERM');
        } catch {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    live.delete(proc);
  }
  for (const dir of [...dirs]) removeTempDir(dir);
}

const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of a process (all its threads), in seconds; null if unreadable. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Machine-wide busy and steal CPU seconds since boot (/proc/stat); NaN off Linux. */
export function machineCpuSeconds(): { busy: number; steal: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [user, nice, system, , , irq, softirq, st] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
    return { busy: (user! + nice! + system! + irq! + softirq!) / CLOCK_TICKS_PER_SECOND, steal: (st ?? 0) / CLOCK_TICKS_PER_SECOND };
  } catch {
    return { busy: Number.NaN, steal: Number.NaN };
  }
}
