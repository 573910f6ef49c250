/**
 * After a message is accepted, its status webhooks: sent → delivered → read (pricing on `sent`,
 * NOTES §5: "pricing appears on either the sent or the delivered webhook"), or a single `failed`
 * for the errors Meta reports asynchronously. Timing, duplicates and reordering follow the plan.
 */
import type { Clock } from '../platform/clock.js';
import type { CustomerRegistry } from './customers.js';
import type { StatusItem } from './envelopes.js';
import { statusError } from './errors.js';
import type { Random } from './prng.js';
import { createStatusBatcher } from './status-batcher.js';
import type { Settings } from './schemas.js';
import type { NumberRegistry, OutboundMessage } from './state.js';
import { planStatuses } from './status-plan.js';
import type { Timers } from './timers.js';
import type { WebhookSender } from './webhook-sender.js';

export type StatusSchedulerDeps = {
  settings: () => Settings;
  clock: Clock;
  random: Random;
  timers: Timers;
  sender: WebhookSender;
  numbers: NumberRegistry;
  customers: CustomerRegistry;
  /** Told about each status webhook as it is sent (the autopilot reacts to deliveries). */
  onStatus?: (message: OutboundMessage, status: string) => void;
};

export function createStatusScheduler(deps: StatusSchedulerDeps): (message: OutboundMessage) => void {
  const batcher = createStatusBatcher(deps);
  return (message) => {
    const settings = deps.settings();
    const number = deps.numbers.require(message.phoneNumberId);
    const customer = message.customerId ? deps.customers.get(message.customerId) : null;
    const recipientId = customer ? customer.waId : message.recipientKind === 'phone' ? message.input.replace(/\D/g, '') : null;

    const emit = (item: StatusItem) => {
      message.statusesSent.push(item.status);
      batcher.add(number, customer, item);
      deps.onStatus?.(message, item.status);
    };
    const base = { wamid: message.wamid, recipientId, bizOpaqueCallbackData: message.bizOpaqueCallbackData };

    if (message.failureCode !== null) {
      const code = message.failureCode;
      deps.timers.after(settings.statusDelaysMs.sent, () =>
        emit({
          ...base,
          status: 'failed',
          atMs: message.acceptedAt + settings.statusDelaysMs.sent,
          // Meta omits `recipient_user_id` on failed sends to a phone number (NOTES §5).
          recipientUserId: message.recipientKind === 'bsuid' ? (customer?.bsuid ?? message.input) : null,
          pricing: null,
          errors: [statusError(code)],
        }),
      );
      return;
    }

    const plan = planStatuses(deps.random, {
      delays: settings.statusDelaysMs,
      reads: customer?.reads ?? true,
      duplicateRate: settings.duplicateRate,
      outOfOrderRate: settings.outOfOrderRate,
    });
    for (const item of plan) {
      deps.timers.after(item.deliverAfterMs, () =>
        emit({
          ...base,
          status: item.status,
          atMs: message.acceptedAt + item.eventDelayMs,
          recipientUserId: customer?.bsuid ?? null,
          pricing: item.status === 'sent' ? message.pricing : null,
          errors: null,
        }),
      );
    }
  };
}
