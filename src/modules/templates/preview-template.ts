import { AppError, err, ok, type Result } from '../../platform/errors.js';
import { contactRepository } from '../contacts/index.js';
import type { GraphTemplate } from './core/fill-parameters.js';
import type { TemplatePreview } from './core/render-preview.js';
import { resolveTemplate, type TemplateCategoryName } from './prepare-template-send.js';
import { templateRepository } from './template.repository.js';
import type { TemplatesDeps } from './templates.deps.js';

export type PreviewRequest = {
  name: string;
  contactId?: string | undefined;
  wabaId?: string | undefined;
  language?: string | undefined;
  parameters?: unknown;
  mapping?: unknown;
};

export type TemplatePreviewView = TemplatePreview & {
  language: string;
  chosenBecause: string;
  status: string;
  /** Whether a send would go out now (an approved variant); the preview is shown either way. */
  sendable: boolean;
  category: TemplateCategoryName;
  wabaId: string;
  graphTemplate: GraphTemplate;
};

/**
 * What the contact would see if the template were sent now: the same variant choice and the same
 * filling as a send, whatever the variant's status (a pending template can be previewed).
 */
export async function previewTemplate(request: PreviewRequest, deps: Pick<TemplatesDeps, 'db' | 'numbers' | 'defaultLocale' | 'timeZone'>): Promise<Result<TemplatePreviewView>> {
  const contact = request.contactId === undefined ? null : await contactRepository.findById(deps.db, request.contactId);
  if (contact === undefined) return err(new AppError('CONTACT_NOT_FOUND', `No contact ${request.contactId}.`));

  let wabaId = request.wabaId;
  if (wabaId === undefined) {
    // The WABA that has the template: the default number's first, else any.
    const wabas = [...new Set((await templateRepository.list(deps.db, { name: request.name })).filter((v) => v.status !== 'DELETED').map((v) => v.wabaId))];
    const preferred = (await deps.numbers.list()).map((n) => n.wabaId).find((w) => wabas.includes(w));
    wabaId = preferred ?? wabas[0];
    if (wabaId === undefined) return err(new AppError('TEMPLATE_NOT_FOUND', `No template ${request.name} in the catalogue (sync it with POST /templates/sync?).`, { name: request.name }));
  }

  const resolved = await resolveTemplate(
    deps.db,
    {
      wabaId,
      contact,
      template: { name: request.name, language: request.language, parameters: request.parameters, mapping: request.mapping },
      defaultLocale: deps.defaultLocale,
      timeZone: deps.timeZone,
    },
    { requireSendable: false },
  );
  if (!resolved.ok) return resolved;
  const r = resolved.value;
  // Without components to pass through, a preview is always rendered.
  const preview = r.preview ?? { header: null, body: null, footer: null, buttons: [] };
  return ok({
    ...preview,
    language: r.language,
    chosenBecause: r.chosenBecause,
    status: r.variant.status,
    sendable: r.sendable,
    category: r.category,
    wabaId,
    graphTemplate: r.graphTemplate,
  });
}
