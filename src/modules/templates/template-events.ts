import type { DbExecutor } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import type { IdGenerator } from '../../platform/ids.js';
import { templateRepository, type TemplateEventKind, type TemplateEventSource } from './template.repository.js';

/** Records one change of a template variant, with when it happened and where we learnt it. */
export function recordTemplateEvent(
  exec: DbExecutor,
  deps: { clock: Clock; ids: IdGenerator },
  event: { templateId: string; kind: TemplateEventKind; previousValue: string | null; newValue: string | null; reason?: string | null; source: TemplateEventSource; occurredAt: number },
): Promise<void> {
  return templateRepository.recordEvent(exec, { ...event, reason: event.reason ?? null, id: deps.ids.next(), createdAt: deps.clock.now() });
}

/**
 * Webhook times are whole seconds (`entry.time`), ours are milliseconds: a webhook is compared
 * with the second a change was recorded in, or the approval of a template created 700 ms into a
 * second would look older than its creation.
 */
export const toSecond = (ms: number) => Math.floor(ms / 1000) * 1000;
