import type { DbExecutor } from '../../db/database.js';
import { AppError, err, ok, type Result } from '../../platform/errors.js';
import { templateRepository, type TemplateEvent } from './template.repository.js';

export type TemplateHistoryEntry = TemplateEvent & { wabaId: string; language: string };

/** Every recorded change of a template's variants (optionally one language or WABA), oldest first. */
export async function templateHistory(exec: DbExecutor, query: { name: string; language?: string | undefined; wabaId?: string | undefined }): Promise<Result<TemplateHistoryEntry[]>> {
  const variants = (await templateRepository.list(exec, { name: query.name, wabaId: query.wabaId })).filter((v) => query.language === undefined || v.language === query.language);
  if (variants.length === 0) {
    return err(new AppError('TEMPLATE_NOT_FOUND', `No template ${query.name}${query.language ? ` in ${query.language}` : ''} in the catalogue.`, { name: query.name }));
  }
  const byId = new Map(variants.map((v) => [v.id, v]));
  const events = await templateRepository.history(exec, [...byId.keys()]);
  return ok(events.map((e) => ({ ...e, wabaId: byId.get(e.templateId)!.wabaId, language: byId.get(e.templateId)!.language })));
}
