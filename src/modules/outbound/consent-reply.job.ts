import { z } from 'zod';
import type { JobDefinition } from '../../jobs/job-definition.js';
import { queueMessage, type QueueMessageDeps } from './queue-message.js';

export const CONSENT_REPLY = 'consent.reply';

const Payload = z.object({ contactId: z.string(), businessPhoneNumberId: z.string().nullable(), action: z.enum(['opt_out', 'opt_in']), wamid: z.string() });

/**
 * The optional confirmation after STOP or START ("You will not receive promotions any more").
 * It is a free-form reply inside the window the keyword itself opened; the idempotency key ties
 * it to the keyword message, so a replayed webhook never confirms twice.
 */
export function consentReplyJob(deps: QueueMessageDeps, replies: { opt_out?: string; opt_in?: string }): JobDefinition<typeof Payload> {
  return {
    name: CONSENT_REPLY,
    mode: 'lease',
    payload: Payload,
    async handle({ contactId, businessPhoneNumberId, action, wamid }) {
      const body = replies[action];
      if (!body) return;
      const result = await queueMessage(
        { contactId, ...(businessPhoneNumberId ? { from: businessPhoneNumberId } : {}), type: 'text', text: { body }, idempotencyKey: `${CONSENT_REPLY}:${wamid}` },
        deps,
      );
      // No number configured or the window closed meanwhile: nothing to retry.
      if (!result.ok && !['NUMBER_NOT_CONFIGURED', 'NUMBER_NOT_FOUND', 'WINDOW_CLOSED', 'CONTACT_NOT_FOUND'].includes(result.error.code)) {
        throw new Error(`${result.error.code}: ${result.error.message}`);
      }
    },
  };
}
