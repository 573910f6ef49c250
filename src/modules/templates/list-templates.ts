import type { DbExecutor } from '../../db/database.js';
import { templateRepository, type StoredTemplate, type TemplateFilter } from './template.repository.js';

/** A template (one name in one WABA) with its language variants. */
export type TemplateWithVariants = { name: string; wabaId: string; variants: StoredTemplate[] };

/** The catalogue, grouped by template; filters apply to the variants (a template with none left is omitted). */
export async function listTemplates(exec: DbExecutor, filter: TemplateFilter & { language?: string | undefined }): Promise<TemplateWithVariants[]> {
  const variants = (await templateRepository.list(exec, filter)).filter((v) => filter.language === undefined || v.language === filter.language);
  const groups = new Map<string, TemplateWithVariants>();
  for (const v of variants) {
    const key = `${v.wabaId}\u0000${v.name}`;
    const group = groups.get(key) ?? { name: v.name, wabaId: v.wabaId, variants: [] };
    group.variants.push(v);
    groups.set(key, group);
  }
  return [...groups.values()];
}
