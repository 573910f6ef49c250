/**
 * Preloaded into the hub (`npm run bench:outbound -- --hub-import ./bench/diagnostics/graph-send-timing.ts`):
 * for every Graph send, the time the sender called `GraphClient.sendMessage` and the time the
 * request body reached `socket.write`, both on the wall clock to the µs, written as
 * `tag<TAB>call<TAB>write` lines to $GRAPH_SEND_TIMING_OUT when the hub exits. The bench writes
 * the simulator's side next to it; `send-bunching.ts` compares the three.
 */
import { writeFileSync } from 'node:fs';
import { Socket } from 'node:net';

type GraphClientClass = { prototype: { sendMessage: (...args: unknown[]) => Promise<unknown> } };

const dist = process.env['SWITCHBOARD_DIST'] ?? new URL('../../dist/', import.meta.url).href;
const { GraphClient } = (await import(new URL('modules/outbound/whatsapp/graph.client.js', dist).href)) as { GraphClient: GraphClientClass };

const wallClock = () => performance.timeOrigin + performance.now();
const calls = new Map<string, number>();
const lines: string[] = [];

const sendMessage = GraphClient.prototype.sendMessage;
GraphClient.prototype.sendMessage = function (this: unknown, ...args: unknown[]) {
  const tag = (args[2] as { biz_opaque_callback_data?: string }).biz_opaque_callback_data;
  if (tag) calls.set(tag, wallClock());
  return sendMessage.apply(this, args);
};

// The request body is one write (JSON, a few hundred bytes) that carries the send's tag.
const TAG = /"biz_opaque_callback_data":"([^"]+)"/;
const write = Socket.prototype.write as (this: Socket, chunk: unknown, ...rest: unknown[]) => boolean;
Socket.prototype.write = function (this: Socket, chunk: unknown, ...rest: unknown[]) {
  if ((typeof chunk === 'string' || Buffer.isBuffer(chunk)) && chunk.length < 8192) {
    const tag = TAG.exec(typeof chunk === 'string' ? chunk : chunk.toString('latin1'))?.[1];
    const calledAt = tag ? calls.get(tag) : undefined;
    if (tag && calledAt !== undefined) {
      lines.push(`${tag}\t${calledAt}\t${wallClock()}`);
      calls.delete(tag);
    }
  }
  return write.call(this, chunk, ...rest);
} as typeof Socket.prototype.write;

process.on('exit', () => {
  const out = process.env['GRAPH_SEND_TIMING_OUT'];
  if (out) writeFileSync(out, lines.join('\n') + '\n');
});
