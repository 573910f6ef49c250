/**
 * A conversation's ticket state and counters, and how each thing that happens moves them. Pure:
 * the subscriber and the routes load the conversation, apply one of these, and store the result.
 *
 * open: someone should act · pending: waiting on the customer · resolved: done. A customer's
 * message makes any conversation open again; a resolved one keeps its owner, so the reply goes
 * back to whoever handled it.
 */
export const CONVERSATION_STATES = ['open', 'pending', 'resolved'] as const;
export type ConversationState = (typeof CONVERSATION_STATES)[number];

export type LastMessage = { text: string | null; direction: 'inbound' | 'outbound'; type: string; at: number };

export type ConversationCore = {
  state: ConversationState;
  assigneeId: string | null;
  unread: number;
  lastMessage: LastMessage | null;
  lastInboundAt: number | null;
  resolvedAt: number | null;
};

export type Change = {
  next: ConversationCore;
  /** The assignment rules should pick an owner (a new conversation, or a reopened one without owner). */
  needsAssignment: boolean;
  /** It was resolved and the customer wrote again. */
  reopened: boolean;
};

/** Newest wins: a message delivered late (a replay, a slow webhook) does not hide a later one. */
function latest(current: LastMessage | null, message: LastMessage): LastMessage {
  return current !== null && current.at > message.at ? current : message;
}

const PREVIEW_CHARS = 280;

// Collapsing whitespace can only shorten: a head this long gives a full preview unless it is
// mostly whitespace. Reading only the head keeps a long message from costing the worker.
const PREVIEW_HEAD = PREVIEW_CHARS * 4;

/** The preview kept for lists: the first characters of the text, on one line. */
export function previewOf(text: string | null): string | null {
  if (text === null) return null;
  if (text.length > PREVIEW_HEAD) {
    const head = oneLine(text.slice(0, PREVIEW_HEAD));
    if (head.length > PREVIEW_CHARS) return `${head.slice(0, PREVIEW_CHARS - 1)}…`;
  }
  const line = oneLine(text);
  return line.length > PREVIEW_CHARS ? `${line.slice(0, PREVIEW_CHARS - 1)}…` : line;
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

export function receiveInbound(current: ConversationCore | null, message: Omit<LastMessage, 'direction'>): Change {
  const last: LastMessage = { ...message, text: previewOf(message.text), direction: 'inbound' };
  if (current === null) {
    return {
      next: { state: 'open', assigneeId: null, unread: 1, lastMessage: last, lastInboundAt: message.at, resolvedAt: null },
      needsAssignment: true,
      reopened: false,
    };
  }
  const reopened = current.state === 'resolved';
  return {
    next: {
      ...current,
      state: 'open',
      unread: current.unread + 1,
      lastMessage: latest(current.lastMessage, last),
      lastInboundAt: Math.max(current.lastInboundAt ?? message.at, message.at),
      resolvedAt: reopened ? null : current.resolvedAt,
    },
    needsAssignment: current.state !== 'open' && current.assigneeId === null,
    reopened,
  };
}

/**
 * The business sent something. A first message to someone (a campaign, an API send) starts the
 * conversation as pending, unassigned: it joins the queue only when the customer answers. A
 * reply means the sender read what came before.
 */
export function recordOutbound(current: ConversationCore | null, message: Omit<LastMessage, 'direction'>): Change {
  const last: LastMessage = { ...message, text: previewOf(message.text), direction: 'outbound' };
  if (current === null) {
    return {
      next: { state: 'pending', assigneeId: null, unread: 0, lastMessage: last, lastInboundAt: null, resolvedAt: null },
      needsAssignment: false,
      reopened: false,
    };
  }
  return { next: { ...current, unread: 0, lastMessage: latest(current.lastMessage, last) }, needsAssignment: false, reopened: false };
}

/** Any state may follow any other; a change to the same state changes nothing (null). */
export function changeState(current: ConversationCore, to: ConversationState, now: number): ConversationCore | null {
  if (current.state === to) return null;
  return { ...current, state: to, resolvedAt: to === 'resolved' ? now : null };
}

/** Automation asks to reopen: a resolved conversation opens again (keeping its owner); others stay as they are. */
export function reopen(current: ConversationCore): ConversationCore | null {
  return current.state === 'resolved' ? { ...current, state: 'open', resolvedAt: null } : null;
}
