// Core (pure)
export { findPlaceholders, placeholderNames, renderPlaceholders } from './core/placeholders.js';
export { checkTemplate, RULE_CODES, TEMPLATE_LIMITS, type AuthoredTemplate, type CheckedTemplate, type RuleCode, type RuleViolation } from './core/template-rules.js';
export { chooseLanguage, normaliseLocale, type LocaleChoice, type LocaleRule } from './core/localisation.js';
export {
  checkSendable,
  fillParameters,
  TemplateMapping,
  TemplateParameters,
  type GraphTemplate,
  type TemplateContact,
} from './core/fill-parameters.js';
export { renderPreview, type TemplatePreview } from './core/render-preview.js';
export { templateErrorFor, TEMPLATE_META_ERROR_CODES, type TemplateMetaError } from './core/template-errors.js';
export { SENDABLE_STATUSES, isSendable } from './core/template.js';

// Adapters and use cases
export { templateRepository, type StoredTemplate, type TemplateEvent } from './template.repository.js';
export { GraphTemplatesClient, type TemplateManagementApi, type MetaTemplateCreate, type CreatedTemplate } from './whatsapp-templates.client.js';
export type { TemplatesDeps, TemplateNumbers } from './templates.deps.js';
export { syncTemplates, type SyncCounts, type SyncTemplatesDeps } from './sync-templates.js';
export {
  applyTemplateWebhook,
  isTemplateWebhookField,
  TEMPLATE_WEBHOOK_FIELDS,
  type TemplateWebhookDeps,
  type TemplateWebhookEvent,
  type TemplateWebhookOutcome,
} from './apply-template-webhook.js';
export { createTemplate, type CreateTemplateDeps, type CreateTemplateInput } from './create-template.js';
export { prepareTemplateSend, type PrepareTemplateSendInput, type PreparedTemplateSend, type TemplateRequest } from './prepare-template-send.js';
export { previewTemplate, type PreviewRequest, type TemplatePreviewView } from './preview-template.js';
export { listTemplates } from './list-templates.js';
export { templateHistory } from './template-history.js';
export { templatesRoutes, type TemplatesRouteOptions } from './templates.routes.js';
export { TEMPLATE_ERROR_STATUS } from './templates.errors.js';
