import { replyOf, type AutomationEvent } from './automation-event.js';
import type { TriggerType } from './rule.js';

/**
 * Whether a trigger of this type could match the event, decided from the event alone (no rule
 * definition, no contact facts): a necessary condition of `matchTrigger`, so that an event no
 * enabled rule's trigger type can fire on is never handed to the engine (no job, no lease).
 * `window.closing` rules need every inbound message: each one schedules their checks.
 */
export function triggerTypeCanFire(type: TriggerType, event: AutomationEvent): boolean {
  switch (type) {
    case 'crm.person_created':
    case 'crm.person_updated':
      return event.type === 'crm.person_changed';
    case 'message.received':
    case 'window.closing':
      return event.type === 'message.received';
    case 'reply':
      return event.type === 'message.received' && replyOf(event) !== null;
    case 'message.failed':
      return event.type === 'message.status' && event['status'] === 'failed';
    case 'consent.opt_out':
      return event.type === 'consent.changed' && event['action'] === 'opt_out';
  }
}
