import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, waitFor, type ServerProcess } from '../test/support/server-process.js';

/**
 * The README's quick start: `switchboard demo` (what `npm start` runs) in an empty directory, as a
 * newcomer would, with the simulator's autopilot slowed to a crawl so that nothing but the demo's
 * own set-up opens a window. The reply it prints must work as printed, at once.
 */

type MessageDto = { id: string; status: string; error: { code: string; message: string } | null };

describe('the quick start (switchboard demo)', () => {
  let dir: string;
  let server: ServerProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-quick-start-'));
    server = await startServer({ cwd: dir, command: ['demo', '--simulator-port', '0', '--interval', '3600000'] });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a reply to a customer that is accepted within seconds and read back as delivered', async () => {
    const printed = await waitFor(
      () => {
        const match = /Reply to (.+), who has just written[^\n]*\n.*\n\s+-d '([^']+)'/.exec(server.output());
        return match ? { name: match[1]!, body: match[2]! } : false;
      },
      { timeoutMs: 15_000, message: `the demo to print its reply command. Output:\n${server.output()}` },
    );
    expect(printed.name).toBe('Ana Souza');

    const queued = await waitFor(
      async () => {
        const result = await api<MessageDto>(server, 'messages', { method: 'POST', body: printed.body });
        expect(result.status, result.text).toBe(202);
        return result.json;
      },
      { timeoutMs: 10_000, message: 'the printed reply to be accepted' },
    );
    await waitFor(
      async () => {
        const message = (await api<MessageDto>(server, `messages/${queued.id}`)).json;
        expect(['delivered', 'read']).toContain(message.status);
      },
      { timeoutMs: 15_000, message: 'the reply to be delivered' },
    );
    // Everything the demo keeps is in the directory it was started from.
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'data', 'demo-secrets.json'), 'utf8')) as object)).toContain('SWITCHBOARD_API_TOKEN');
  }, 60_000);
});
