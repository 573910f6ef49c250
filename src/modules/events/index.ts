export { domainEventSchema, type DomainEvent, type DomainEventOf, type DomainEventType } from './domain-event.js';
export { eventPublisher, publishNothing, subscriberJob, subscriberJobName, type EventPublisher, type EventSubscriber } from './event-subscriber.js';
