import type { DbExecutor } from '../../db/database.js';
import type { JobContext, JobDefinition, NewJob } from '../../jobs/job-definition.js';
import type { RetryPolicy } from '../../jobs/retry-schedule.js';
import { createLogger, type Logger } from '../../platform/logger.js';
import { domainEventSchema, type DomainEvent, type DomainEventType } from './domain-event.js';

/**
 * A consumer of domain events. Each subscriber gets its own job per event, so a slow or failing
 * subscriber (a CRM that is down) neither delays nor repeats the others.
 *
 * A subscriber that only updates this database (the inbox's conversations) may instead be
 * delivered `inline`: it runs in the transaction that publishes, which costs no job, and it
 * commits or rolls back with the change itself. Events are published once, when their cause is
 * first recorded, so an inline subscriber also sees each event once.
 */
export type EventSubscriber = {
  /** Stable: it names the job (`event.<name>`) and is part of every dedupe key. */
  name: string;
  handles: readonly DomainEventType[];
  /**
   * Narrows `handles` by content (automation passes over `delivered` statuses, and over every
   * message while no rule could react to it): no job is made for the rest. It runs in the
   * publishing transaction, so it may read the database through `exec` (and only through it).
   */
  accepts?: (event: DomainEvent, exec: DbExecutor) => boolean | Promise<boolean>;
  /** Puts the subscriber's jobs for related events in one order group (NewJob.orderingKey), e.g. per contact. */
  orderingKey?: (event: DomainEvent) => string;
  /** `job` (default): a job per event. `inline`: run in the publishing transaction (database-only work). */
  delivery?: 'job' | 'inline';
  /** `lease` for subscribers that call other systems (see JobDefinition). */
  mode?: 'transaction' | 'lease';
  leaseMs?: number;
  retry?: Partial<RetryPolicy>;
  handle(event: DomainEvent, ctx: JobContext): Promise<void>;
};

export const subscriberJobName = (subscriber: Pick<EventSubscriber, 'name'>) => `event.${subscriber.name}`;

/** The job that delivers events to one subscriber; register it with the worker. */
export function subscriberJob(subscriber: EventSubscriber): JobDefinition<typeof domainEventSchema> {
  return {
    name: subscriberJobName(subscriber),
    payload: domainEventSchema,
    ...(subscriber.mode ? { mode: subscriber.mode } : {}),
    ...(subscriber.leaseMs ? { leaseMs: subscriber.leaseMs } : {}),
    ...(subscriber.retry ? { retry: subscriber.retry } : {}),
    handle: (event, ctx) => subscriber.handle(event, ctx),
  };
}

/** Publishes in the caller's transaction: the events exist exactly when the change that caused them commits. */
export type EventPublisher = (exec: DbExecutor, events: DomainEvent[]) => Promise<void>;

export function eventPublisher(
  subscribers: readonly EventSubscriber[],
  enqueue: (exec: DbExecutor, jobs: NewJob[]) => Promise<void>,
  log?: Logger,
): EventPublisher {
  // One child logger per subscriber, made on first use: made per event, pino's child (with its
  // redaction set-up) was about 1% of the hub's CPU in bench:outbound, four events per message.
  const childLogs = new Map<string, Logger>();
  const logOf = (subscriber: EventSubscriber): Logger => {
    if (!log) return silentLogger;
    let child = childLogs.get(subscriber.name);
    if (!child) childLogs.set(subscriber.name, (child = log.child({ subscriber: subscriber.name })));
    return child;
  };
  return async (exec, events) => {
    const jobs: NewJob[] = [];
    for (const event of events) {
      for (const subscriber of subscribers) {
        if (!subscriber.handles.includes(event.type)) continue;
        if (subscriber.accepts && !(await subscriber.accepts(event, exec))) continue;
        if (subscriber.delivery === 'inline') {
          await subscriber.handle(event, { trx: exec, jobId: `inline:${event.id}`, attempt: 1, log: logOf(subscriber) });
          continue;
        }
        jobs.push({
          name: subscriberJobName(subscriber),
          payload: event,
          dedupeKey: `${subscriber.name}:${event.id}`,
          ...(subscriber.orderingKey ? { orderingKey: subscriber.orderingKey(event) } : {}),
        });
      }
    }
    if (jobs.length > 0) await enqueue(exec, jobs);
  };
}

const silentLogger = createLogger('silent');

/** For processes or tests without subscribers. */
export const publishNothing: EventPublisher = async () => {};
