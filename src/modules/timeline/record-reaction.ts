import type { DbExecutor } from '../../db/database.js';
import type { ReactionChanged } from '../inbound/core/inbound-event.js';
import { messageRepository } from './message.repository.js';
import type { TimelineDeps } from './timeline.deps.js';

/**
 * Attaches a reaction to the message it reacts to. WhatsApp keeps one reaction per person and
 * message; the newest wins, and a removal (no emoji) clears it. The target need not be known yet.
 */
export async function recordReaction(exec: DbExecutor, event: ReactionChanged, contactId: string, deps: TimelineDeps): Promise<void> {
  await messageRepository.upsertReaction(exec, {
    target_wamid: event.targetWamid,
    contact_id: contactId,
    reaction_wamid: event.wamid,
    emoji: event.emoji,
    wa_timestamp: event.timestamp,
    created_at: deps.clock.now(),
  });
}
