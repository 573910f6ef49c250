/**
 * Meta batches webhook updates: "POSTs are batched with up to 1000 updates each, but batching
 * isn't guaranteed" (NOTES §9), several statuses in one change's `statuses[]`. With
 * `webhookBatch.windowMs` above 0, the statuses of one number that fall due within that window
 * go out as one POST of at most `maxUpdates`; with 0 (the default) each goes out on its own,
 * the most POSTs a hub can get for the same traffic.
 */
import type { Customer } from './customers.js';
import { statusBatchEnvelope, type StatusItem, type StatusUpdate } from './envelopes.js';
import type { PhoneNumber, Settings } from './schemas.js';
import type { Timers } from './timers.js';
import type { WebhookSender } from './webhook-sender.js';

export type StatusBatcher = {
  /** Sends the status now (batching off), or adds it to its number's open batch. */
  add(number: PhoneNumber, customer: Customer | null, item: StatusItem): void;
};

type OpenBatch = { number: PhoneNumber; updates: StatusUpdate[]; cancelTimer: () => void };

export function createStatusBatcher(deps: { settings: () => Settings; timers: Timers; sender: WebhookSender }): StatusBatcher {
  const open = new Map<string, OpenBatch>();

  const flush = (phoneNumberId: string) => {
    const batch = open.get(phoneNumberId);
    if (!batch) return;
    open.delete(phoneNumberId);
    batch.cancelTimer();
    deps.sender.send(statusBatchEnvelope(batch.number, batch.updates));
  };

  return {
    add(number, customer, item) {
      const { windowMs, maxUpdates } = deps.settings().webhookBatch;
      if (windowMs === 0 || maxUpdates === 1) {
        deps.sender.send(statusBatchEnvelope(number, [{ customer, item }]));
        return;
      }
      let batch = open.get(number.phoneNumberId);
      if (!batch) {
        const id = number.phoneNumberId;
        batch = { number, updates: [], cancelTimer: deps.timers.after(windowMs, () => flush(id)) };
        open.set(id, batch);
      }
      batch.updates.push({ customer, item });
      if (batch.updates.length >= maxUpdates) flush(number.phoneNumberId);
    },
  };
}
