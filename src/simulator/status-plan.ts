/**
 * When each status webhook of one accepted message is delivered. Meta does not guarantee order
 * ("use `timestamp` and never regress state", NOTES §5) and retries produce duplicates, so the
 * plan may swap two neighbours and repeat some, driven by the seeded random source. Each item's
 * `eventDelayMs` (which becomes its `timestamp`) keeps the true order; only arrival changes.
 */
import type { Random } from './prng.js';

export type DeliveryStatus = 'sent' | 'delivered' | 'read';

export type PlannedStatus = {
  status: DeliveryStatus;
  /** When the status happened (its `timestamp`), after acceptance. */
  eventDelayMs: number;
  /** When its webhook is sent, after acceptance. */
  deliverAfterMs: number;
  duplicate: boolean;
};

export type StatusPlanOptions = {
  delays: { sent: number; delivered: number; read: number };
  /** false: the user's phone does not send read receipts, statuses stop at `delivered`. */
  reads: boolean;
  duplicateRate: number;
  outOfOrderRate: number;
};

export function planStatuses(random: Random, options: StatusPlanOptions): PlannedStatus[] {
  const statuses: DeliveryStatus[] = options.reads ? ['sent', 'delivered', 'read'] : ['sent', 'delivered'];
  const plan: PlannedStatus[] = statuses.map((status) => ({
    status,
    eventDelayMs: options.delays[status],
    deliverAfterMs: options.delays[status],
    duplicate: false,
  }));

  const reorder = random.chance(options.outOfOrderRate);
  const at = random.int(plan.length - 1);
  if (reorder) {
    const first = plan[at] as PlannedStatus;
    const second = plan[at + 1] as PlannedStatus;
    [first.deliverAfterMs, second.deliverAfterMs] = [second.deliverAfterMs, first.deliverAfterMs];
    // Equal delays would leave the arrival order to chance; make the swap real.
    if (first.deliverAfterMs <= second.deliverAfterMs) first.deliverAfterMs = second.deliverAfterMs + 5;
  }

  const duplicates = plan.flatMap((item) =>
    random.chance(options.duplicateRate) ? [{ ...item, deliverAfterMs: item.deliverAfterMs + 1 + random.int(20), duplicate: true }] : [],
  );
  return [...plan, ...duplicates].sort((a, b) => a.deliverAfterMs - b.deliverAfterMs);
}
