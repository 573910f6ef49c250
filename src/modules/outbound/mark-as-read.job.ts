import { z } from 'zod';
import type { JobDefinition } from '../../jobs/job-definition.js';
import type { NumberDirectory } from '../numbers/index.js';
import type { GraphClient } from './whatsapp/graph.client.js';

export const MARK_AS_READ = 'outbound.mark_read';

const Payload = z.object({ phoneNumberId: z.string(), wamid: z.string() });

/** Tells Meta an inbound message was read (blue ticks for the customer; it also marks the earlier ones). */
export function markAsReadJob(deps: { graph: GraphClient; numbers: NumberDirectory }): JobDefinition<typeof Payload> {
  return {
    name: MARK_AS_READ,
    mode: 'lease',
    leaseMs: 60_000,
    payload: Payload,
    retry: { maxAttempts: 5, baseDelayMs: 2_000 },
    async handle({ phoneNumberId, wamid }) {
      const number = await deps.numbers.get(phoneNumberId);
      // A number we do not send from (no token): nothing to do, and nothing to retry.
      if (!number || number.tokenExpiredAt !== null) return;
      const result = await deps.graph.markRead(phoneNumberId, number.accessToken, wamid);
      if (!result.ok) throw new Error(`mark as read: ${JSON.stringify(result.error)}`);
    },
  };
}
