export type { TimelineDeps } from './timeline.deps.js';
export { recordInboundMessage, recordNumberChangeNotice, recordEchoedMessage } from './record-message.js';
export { recordStatus } from './record-status.js';
export { recordReaction } from './record-reaction.js';
export { getTimeline, type TimelineEntry, type TimelinePage } from './get-timeline.js';
export { messageRepository } from './message.repository.js';
export { timelineRoutes } from './timeline.routes.js';
export {
  recordOutboundQueued,
  completeOutboundSend,
  failOutboundEntry,
  lastInboundAt,
  lastInbound,
  INBOUND,
  findEntry,
  type QueuedEntry,
  type LastInbound,
} from './outbound-entries.js';
export { statusRank } from './core/status-order.js';
