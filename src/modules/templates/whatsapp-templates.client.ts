import { Agent, errors as undiciErrors, request } from 'undici';
import { z } from 'zod';
import { err, ok, type Result } from '../../platform/errors.js';
import type { GraphClient, GraphClientOptions } from '../outbound/index.js';

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

const CreatedTemplateResponse = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  status: z.string().optional(),
  category: z.string().optional(),
});

const GraphErrorEnvelope = z.looseObject({
  error: z.looseObject({
    message: z.string().optional(),
    code: z.number(),
    error_subcode: z.number().optional(),
    error_data: z.looseObject({ details: z.string().optional() }).optional(),
    error_user_msg: z.string().optional(),
    fbtrace_id: z.string().optional(),
  }),
});

/**
 * The Graph API adapter for templates: listing goes through the hub's `GraphClient`, creating is
 * done here with undici the same way (timeouts, Meta's error envelope translated). Close it on
 * shutdown: it holds a small connection pool of its own.
 */
export class GraphTemplatesClient implements TemplateManagementApi {
  private readonly agent: Agent;

  constructor(
    private readonly graph: Pick<GraphClient, 'listTemplates'>,
    private readonly options: GraphClientOptions,
  ) {
    this.agent = new Agent({ connections: 4, keepAliveTimeout: 30_000, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
  }

  listTemplates(wabaId: string, token: string, after: string | undefined, limit: number): Promise<Result<TemplatePage, GraphFailure>> {
    return this.graph.listTemplates(wabaId, token, after, limit);
  }

  async createTemplate(wabaId: string, token: string, template: MetaTemplateCreate): Promise<Result<CreatedTemplate, GraphFailure>> {
    const url = `${this.options.baseUrl.replace(/\/$/, '')}/${this.options.version}/${encodeURIComponent(wabaId)}/message_templates`;
    let statusCode: number;
    let text: string;
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(template),
      });
      statusCode = res.statusCode;
      text = await res.body.text();
    } catch (error) {
      return err(networkFailure(error));
    }
    if (statusCode < 200 || statusCode >= 300) return err(toFailure(statusCode, text));
    try {
      const parsed = CreatedTemplateResponse.safeParse(JSON.parse(text));
      if (parsed.success) return ok({ id: parsed.data.id, status: parsed.data.status ?? 'PENDING', category: parsed.data.category ?? null });
    } catch {
      // Not JSON: fall through.
    }
    return err({ kind: 'http', httpStatus: statusCode, body: text.slice(0, 500) });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function toFailure(httpStatus: number, text: string): GraphFailure {
  try {
    const envelope = GraphErrorEnvelope.safeParse(JSON.parse(text));
    if (envelope.success) {
      const e = envelope.data.error;
      return {
        kind: 'meta',
        httpStatus,
        code: e.code,
        subcode: e.error_subcode ?? null,
        title: e.message ?? `Meta error ${e.code}`,
        details: e.error_data?.details ?? e.error_user_msg ?? null,
        fbtraceId: e.fbtrace_id ?? null,
      };
    }
  } catch {
    // Not JSON: fall through.
  }
  return { kind: 'http', httpStatus, body: text.slice(0, 500) };
}

function networkFailure(error: unknown): GraphFailure {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  // Only a connection that never opened proves Meta did not act on the request.
  if (error instanceof undiciErrors.ConnectTimeoutError) return { kind: 'network', message };
  if (error instanceof Error && 'code' in error && ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'].includes(String(error.code))) return { kind: 'network', message };
  return { kind: 'timeout', message };
}
