/**
 * The simulator: a local stand-in for Meta's Graph API and webhooks (see README.md).
 */
export { createSimulator, DEFAULT_ACCESS_TOKEN, DEFAULT_NUMBER, type Simulator, type SimulatorOptions } from './simulator.js';
export type { Autopilot } from './autopilot.js';
export type { InteractiveReply, MediaOptions } from './customer-actions.js';
export type { Customer, CustomerRef } from './customers.js';
export type { GraphErrorBody } from './errors.js';
export type { MediaKind } from './media.js';
export { metaJson } from './meta-json.js';
export type {
  ConversationScript,
  CustomerInput,
  InjectErrorInput,
  InjectTimeoutInput,
  NumberInput,
  PhoneNumber,
  Settings,
  SettingsInput,
  TemplateSeed,
  TemplateStatus,
} from './schemas.js';
export { MAX_WEBHOOK_UPDATES } from './schemas.js';
export type { InboundMessage, OutboundMessage } from './state.js';
export type { TemplateReview } from './template-create.js';
export type { Template } from './templates.js';
export type { DeliveryAttempt, WebhookDelivery } from './webhook-sender.js';
