/**
 * For demos: customers who write in now and then and answer what they receive, so a hub shows
 * live traffic without anyone typing. Every choice comes from the seeded random source.
 */
import type { CustomerActions } from './customer-actions.js';
import type { Customer, CustomerRegistry } from './customers.js';
import type { Random } from './prng.js';
import { ConversationScriptSchema, type ConversationScript } from './schemas.js';
import type { NumberRegistry, OutboundMessage } from './state.js';
import { createTimers } from './timers.js';

export type Autopilot = { stop(): void };

/** Non-ASCII on purpose: the hub must verify signatures over Meta's `\uXXXX` escapes. */
const DEFAULT_SCRIPT = [
  'Hi! Is my order on its way?',
  'Do you have this in blue?',
  'Olá! Vocês entregam no sábado?',
  '¿Me pueden dar más información?',
  'Can I change the delivery address?',
  'Thanks a lot 🙏',
  'Bonjour, le magasin est ouvert dimanche ?',
];

export type AutopilotDeps = {
  random: Random;
  customers: CustomerRegistry;
  numbers: NumberRegistry;
  actions: CustomerActions;
  /** The quick-reply buttons (index in the template, label) of a template message. */
  quickReplies(message: OutboundMessage): { index: number; text: string }[];
  /** Subscribes to "this message reached the customer's phone"; returns an unsubscribe function. */
  onDelivered(listener: (message: OutboundMessage) => void): () => void;
};

export function startAutopilot(deps: AutopilotDeps, input: ConversationScript): Autopilot {
  const options = ConversationScriptSchema.parse(input);
  const timers = createTimers();
  const script = options.script ?? DEFAULT_SCRIPT;
  const numberId = options.numberId ?? deps.numbers.first().phoneNumberId;
  const cast = (): Customer[] =>
    (options.customers ? options.customers.map((ref) => deps.customers.get(ref)) : deps.customers.all()).filter((c) => !c.notOnWhatsApp);

  // Failures of an action (a customer removed, a message unknown) must not stop the demo.
  const attempt = (action: () => unknown) => {
    try {
      action();
    } catch {
      /* the next tick tries again */
    }
  };

  const tick = () => {
    const customers = cast();
    if (customers.length > 0) attempt(() => deps.actions.says(deps.random.pick(customers), numberId, deps.random.pick(script)));
    // Jitter between 0.5× and 1.5× the interval so that customers do not write in lock-step.
    timers.after(options.intervalMs * (0.5 + deps.random.next()), tick);
  };

  const respond = (message: OutboundMessage) => {
    const customer = message.customerId ? deps.customers.find(message.customerId) : undefined;
    if (!customer || !cast().some((c) => c.id === customer.id)) return;
    const reply = chooseReply(deps.random, message, deps.quickReplies, options, script);
    if (!reply) return;
    timers.after(options.replyDelayMs, () =>
      attempt(() => {
        if (reply.kind === 'button') deps.actions.repliesToButton(customer, message.wamid, reply.button);
        else if (reply.kind === 'interactive') deps.actions.tapsInteractive(customer, message.wamid, reply.reply);
        else if (reply.kind === 'react') deps.actions.reacts(customer, message.wamid, '👍');
        else deps.actions.says(customer, message.phoneNumberId, reply.text);
      }),
    );
  };

  const unsubscribe = deps.onDelivered(respond);
  timers.after(options.intervalMs * deps.random.next(), tick);
  return {
    stop() {
      unsubscribe();
      timers.close();
    },
  };
}

type Reply =
  | { kind: 'button'; button: { payload: string; text: string } }
  | { kind: 'interactive'; reply: { buttonReply: { id: string; title: string } } | { listReply: { id: string; title: string } } }
  | { kind: 'react' }
  | { kind: 'say'; text: string };

/** Reads a path in a request body without trusting its shape. */
function at(value: unknown, ...path: (string | number)[]): unknown {
  return path.reduce<unknown>((v, key) => (typeof v === 'object' && v !== null ? (v as Record<string | number, unknown>)[key] : undefined), value);
}

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : null);

/**
 * Taps the first quick reply of a template (its payload, else its label as Meta does) or the first
 * option of an interactive message; otherwise maybe reacts 👍 or writes a line of the script.
 */
function chooseReply(
  random: Random,
  message: OutboundMessage,
  quickReplies: (message: OutboundMessage) => { index: number; text: string }[],
  options: ReturnType<typeof ConversationScriptSchema.parse>,
  script: string[],
): Reply | null {
  const request = message.request;
  if (message.type === 'template') {
    const first = quickReplies(message)[0];
    if (first) {
      const components = at(request, 'template', 'components');
      const sent = Array.isArray(components) ? components.find((c) => str(at(c, 'sub_type'))?.toLowerCase() === 'quick_reply' && Number(at(c, 'index')) === first.index) : undefined;
      const payload = str(at(sent, 'parameters', 0, 'payload')) ?? first.text;
      return { kind: 'button', button: { payload, text: first.text } };
    }
    return random.chance(options.replyRate) ? { kind: 'say', text: random.pick(script) } : null;
  }
  if (message.type === 'interactive') {
    const action = at(request, 'interactive', 'action');
    const [buttonId, buttonTitle] = [str(at(action, 'buttons', 0, 'reply', 'id')), str(at(action, 'buttons', 0, 'reply', 'title'))];
    if (buttonId && buttonTitle) return { kind: 'interactive', reply: { buttonReply: { id: buttonId, title: buttonTitle } } };
    const [rowId, rowTitle] = [str(at(action, 'sections', 0, 'rows', 0, 'id')), str(at(action, 'sections', 0, 'rows', 0, 'title'))];
    if (rowId && rowTitle) return { kind: 'interactive', reply: { listReply: { id: rowId, title: rowTitle } } };
    return null;
  }
  if (message.type === 'reaction') return null;
  if (random.chance(options.reactRate)) return { kind: 'react' };
  return random.chance(options.replyRate) ? { kind: 'say', text: random.pick(script) } : null;
}
