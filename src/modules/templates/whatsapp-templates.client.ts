import { ok, type Result } from '../../platform/errors.js';
import type { GraphClient } from '../outbound/index.js';

type ListResult = Awaited<ReturnType<GraphClient['listTemplates']>>;
/** What went wrong with a Graph call (the outbound module's `SendFailure`): Meta's error, HTTP, network or timeout. */
export type GraphFailure = Extract<ListResult, { ok: false }>['error'];
/** One page of `GET /{waba-id}/message_templates`. */
export type TemplatePage = Extract<ListResult, { ok: true }>['value'];

/** The body of `POST /{waba-id}/message_templates` (NOTES §11). */
export type MetaTemplateCreate = {
  name: string;
  category: string;
  language: string;
  parameter_format: 'positional' | 'named';
  components: unknown[];
};

export type CreatedTemplate = { id: string; status: string; category: string | null };

/** Meta's template management, as this module needs it. */
export interface TemplateManagementApi {
  listTemplates(wabaId: string, token: string, after: string | undefined, limit: number): Promise<Result<TemplatePage, GraphFailure>>;
  createTemplate(wabaId: string, token: string, template: MetaTemplateCreate): Promise<Result<CreatedTemplate, GraphFailure>>;
}

/** Template management through the Graph API client (its pool, timeouts and error translation). */
export class GraphTemplatesClient implements TemplateManagementApi {
  constructor(private readonly graph: Pick<GraphClient, 'listTemplates' | 'createTemplate'>) {}

  listTemplates(wabaId: string, token: string, after: string | undefined, limit: number): Promise<Result<TemplatePage, GraphFailure>> {
    return this.graph.listTemplates(wabaId, token, after, limit);
  }

  async createTemplate(wabaId: string, token: string, template: MetaTemplateCreate): Promise<Result<CreatedTemplate, GraphFailure>> {
    const created = await this.graph.createTemplate(wabaId, token, template);
    if (!created.ok) return created;
    return ok({ id: created.value.id, status: created.value.status ?? 'PENDING', category: created.value.category ?? null });
  }
}
