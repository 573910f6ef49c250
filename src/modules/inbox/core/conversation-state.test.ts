import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changeState, CONVERSATION_STATES, previewOf, receiveInbound, recordOutbound, reopen, type ConversationCore } from './conversation-state.js';

const text = (body: string, at: number) => ({ text: body, type: 'text', at });

describe('conversation state', () => {
  it('a first customer message opens an unread conversation that the rules should assign', () => {
    const change = receiveInbound(null, text('hello', 100));
    expect(change).toEqual({
      next: { state: 'open', assigneeId: null, unread: 1, lastMessage: { text: 'hello', direction: 'inbound', type: 'text', at: 100 }, lastInboundAt: 100, resolvedAt: null },
      needsAssignment: true,
      reopened: false,
    });
  });

  it("a customer's reply reopens a resolved conversation and keeps its owner", () => {
    const resolved: ConversationCore = { ...receiveInbound(null, text('a', 1)).next, assigneeId: 'ana', unread: 0, state: 'resolved', resolvedAt: 5 };
    const change = receiveInbound(resolved, text('again', 10));
    expect(change.next).toMatchObject({ state: 'open', assigneeId: 'ana', unread: 1, resolvedAt: null, lastInboundAt: 10 });
    expect(change).toMatchObject({ reopened: true, needsAssignment: false });
  });

  it('a reply to a conversation without owner asks the rules again, unless it was already open', () => {
    const pending: ConversationCore = { ...recordOutbound(null, text('offer', 1)).next };
    expect(pending).toMatchObject({ state: 'pending', assigneeId: null, unread: 0 });
    expect(receiveInbound(pending, text('yes', 2))).toMatchObject({ needsAssignment: true, reopened: false, next: { state: 'open' } });
    const open = receiveInbound(null, text('a', 1)).next;
    expect(receiveInbound(open, text('b', 2))).toMatchObject({ needsAssignment: false, next: { unread: 2 } });
  });

  it('keeps the newest message as the preview, whatever order messages arrive in', () => {
    const first = receiveInbound(null, text('later', 200)).next;
    const next = receiveInbound(first, text('earlier', 100)).next;
    expect(next.lastMessage?.text).toBe('later');
    expect(next.lastInboundAt).toBe(200);
    expect(recordOutbound(next, text('old reply', 50)).next.lastMessage?.text).toBe('later');
  });

  it('an outbound message clears unread', () => {
    const open = receiveInbound(receiveInbound(null, text('a', 1)).next, text('b', 2)).next;
    expect(recordOutbound(open, text('hi', 3)).next).toMatchObject({ unread: 0, state: 'open', lastMessage: { direction: 'outbound', text: 'hi' } });
  });

  it('moves between any two states, stamps resolution, and reports a change to the same state as none', () => {
    const open = receiveInbound(null, text('a', 1)).next;
    for (const from of CONVERSATION_STATES) {
      for (const to of CONVERSATION_STATES) {
        const start = { ...open, state: from };
        const next = changeState(start, to, 42);
        if (from === to) expect(next).toBeNull();
        else expect(next).toMatchObject({ state: to, resolvedAt: to === 'resolved' ? 42 : null });
      }
    }
  });

  it('reopen only changes a resolved conversation', () => {
    const open = receiveInbound(null, text('a', 1)).next;
    expect(reopen(open)).toBeNull();
    expect(reopen({ ...open, state: 'resolved', assigneeId: 'x', resolvedAt: 3 })).toMatchObject({ state: 'open', assigneeId: 'x', resolvedAt: null });
  });

  it('previews one line of at most 280 characters', () => {
    expect(previewOf('  a\n\nb  ')).toBe('a b');
    expect(previewOf('x'.repeat(500))).toHaveLength(280);
    expect(previewOf(null)).toBeNull();
  });

  it('previews a long text as if it had read the whole of it', () => {
    const whole = (t: string) => {
      const line = t.replace(/\s+/g, ' ').trim();
      return line.length > 280 ? `${line.slice(0, 279)}…` : line;
    };
    const chunk = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(' ', '\n', '\t \n', ' '.repeat(300)));
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 120 }).map((parts) => parts.join('')), (t) => {
        expect(previewOf(t)).toBe(whole(t));
      }),
      { numRuns: 2_000 },
    );
    expect(previewOf(`${' '.repeat(1_500)}end`)).toBe('end');
  });

  it('after any sequence of messages the conversation is open exactly when the customer wrote last or since it was last resolved', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('in', 'out', 'resolve'), { minLength: 1, maxLength: 20 }), (steps) => {
        let current: ConversationCore | null = null;
        let t = 0;
        for (const step of steps) {
          t++;
          if (step === 'in') current = receiveInbound(current, text('m', t)).next;
          else if (step === 'out') current = recordOutbound(current, text('m', t)).next;
          else if (current) current = changeState(current, 'resolved', t) ?? current;
        }
        const lastIn = steps.lastIndexOf('in');
        const lastResolve = steps.lastIndexOf('resolve');
        if (current === null) return;
        if (lastIn > lastResolve) expect(current.state).toBe('open');
        if (lastResolve > lastIn && lastIn >= 0) expect(current.state).toBe('resolved');
        expect(current.unread).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
