import { Agent, errors as undiciErrors, FormData, interceptors, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { err, ok, type Result } from '../../../platform/errors.js';
import type { SendFailure } from '../core/send-failure.js';
import { CreateTemplateResponse, GraphErrorEnvelope, MediaMetadataResponse, MediaUploadResponse, SendMessageResponse, SuccessResponse, TemplateListResponse } from './graph.schema.js';

export type GraphClientOptions = {
  /** `https://graph.facebook.com`, or the simulator's address. */
  baseUrl: string;
  version: string;
  /** How long to wait for Meta's answer before the outcome is in doubt. */
  timeoutMs: number;
  /**
   * Keep-alive connections to Meta at most (default 64). One request at a time runs on each, so
   * the sender needs one per send it keeps in flight: a send waiting for a connection holds its
   * place in the throughput window for nothing.
   */
  connections?: number;
};

export type SentMessage = { wamid: string; messageStatus: string | null; waId: string | null };
export type MediaMetadata = z.infer<typeof MediaMetadataResponse>;
export type TemplatePage = z.infer<typeof TemplateListResponse>;

/**
 * The Graph API adapter: one keep-alive connection pool per process, timeouts on every call,
 * and Meta's error envelope translated into a `SendFailure` the core can classify.
 */
export class GraphClient {
  private readonly agent: Agent;
  /** Media URLs may redirect (Meta's lookaside answers 302 to its CDN). */
  private readonly following: Dispatcher;

  constructor(private readonly options: GraphClientOptions) {
    this.agent = new Agent({ connections: options.connections ?? 64, keepAliveTimeout: 30_000, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
    this.following = this.agent.compose(interceptors.redirect({ maxRedirections: 3 }));
  }

  private url(path: string): string {
    return `${this.options.baseUrl.replace(/\/$/, '')}/${this.options.version}/${path}`;
  }

  /** POST /{phone-number-id}/messages with a Cloud API message object. */
  async sendMessage(phoneNumberId: string, token: string, message: Record<string, unknown>): Promise<Result<SentMessage, SendFailure>> {
    const response = await this.call('POST', this.url(`${encodeURIComponent(phoneNumberId)}/messages`), token, SendMessageResponse, {
      messaging_product: 'whatsapp',
      ...message,
    });
    if (!response.ok) return response;
    const [sent] = response.value.messages;
    return ok({ wamid: sent!.id, messageStatus: sent!.message_status ?? null, waId: response.value.contacts?.[0]?.wa_id ?? null });
  }

  /** Marks an inbound message (and the ones before it) as read; optionally shows the typing indicator. */
  async markRead(phoneNumberId: string, token: string, wamid: string, typing = false): Promise<Result<void, SendFailure>> {
    const response = await this.call('POST', this.url(`${encodeURIComponent(phoneNumberId)}/messages`), token, SuccessResponse, {
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: wamid,
      ...(typing ? { typing_indicator: { type: 'text' } } : {}),
    });
    return response.ok ? ok(undefined) : response;
  }

  async mediaMetadata(mediaId: string, token: string): Promise<Result<MediaMetadata, SendFailure>> {
    return this.call('GET', this.url(encodeURIComponent(mediaId)), token, MediaMetadataResponse);
  }

  /** Downloads from the short-lived URL that `mediaMetadata` gave; it needs the bearer token too. */
  async downloadMedia(url: string, token: string, maxBytes: number): Promise<Result<{ bytes: Buffer; contentType: string | null }, SendFailure>> {
    try {
      const res = await request(url, { method: 'GET', headers: { authorization: `Bearer ${token}` }, dispatcher: this.following });
      if (res.statusCode !== 200) {
        const body = await res.body.text();
        return err(toFailure(res.statusCode, body));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) {
          res.body.destroy();
          return err({ kind: 'http', httpStatus: 413, body: `larger than ${maxBytes} bytes` });
        }
        chunks.push(chunk as Buffer);
      }
      const contentType = res.headers['content-type'];
      return ok({ bytes: Buffer.concat(chunks), contentType: typeof contentType === 'string' ? contentType : null });
    } catch (error) {
      return err(networkFailure(error));
    }
  }

  async uploadMedia(phoneNumberId: string, token: string, file: { bytes: Buffer; mimeType: string; filename: string }): Promise<Result<string, SendFailure>> {
    const form = new FormData();
    form.append('messaging_product', 'whatsapp');
    form.append('type', file.mimeType);
    form.append('file', new Blob([file.bytes], { type: file.mimeType }), file.filename);
    const response = await this.call('POST', this.url(`${encodeURIComponent(phoneNumberId)}/media`), token, MediaUploadResponse, form);
    return response.ok ? ok(response.value.id) : response;
  }

  async listTemplates(wabaId: string, token: string, after?: string, limit = 100): Promise<Result<TemplatePage, SendFailure>> {
    const query = new URLSearchParams({ limit: String(limit), ...(after ? { after } : {}) });
    return this.call('GET', `${this.url(`${encodeURIComponent(wabaId)}/message_templates`)}?${query}`, token, TemplateListResponse);
  }

  /** POST /{waba-id}/message_templates: submits a template for review. */
  async createTemplate(wabaId: string, token: string, template: Record<string, unknown>): Promise<Result<z.infer<typeof CreateTemplateResponse>, SendFailure>> {
    return this.call('POST', this.url(`${encodeURIComponent(wabaId)}/message_templates`), token, CreateTemplateResponse, template);
  }

  private async call<S extends z.ZodType>(
    method: 'GET' | 'POST',
    url: string,
    token: string,
    schema: S,
    body?: Record<string, unknown> | FormData,
  ): Promise<Result<z.infer<S>, SendFailure>> {
    let statusCode: number;
    let text: string;
    try {
      const isForm = body instanceof FormData;
      const res = await request(url, {
        method,
        dispatcher: this.agent,
        headers: { authorization: `Bearer ${token}`, ...(body && !isForm ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
      });
      statusCode = res.statusCode;
      text = await res.body.text();
    } catch (error) {
      return err(networkFailure(error));
    }
    if (statusCode < 200 || statusCode >= 300) return err(toFailure(statusCode, text));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return err({ kind: 'http', httpStatus: statusCode, body: text.slice(0, 500) });
    }
    const parsed = schema.safeParse(json);
    return parsed.success ? ok(parsed.data) : err({ kind: 'http', httpStatus: statusCode, body: text.slice(0, 500) });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** Meta's error envelope when there is one, else the raw HTTP failure. */
function toFailure(httpStatus: number, text: string): SendFailure {
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

function networkFailure(error: unknown): SendFailure {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  // Only a connection that never opened proves nothing was sent. Once the request may have been
  // written (timeouts, resets, a socket closed mid-answer), Meta may have acted on it.
  if (error instanceof undiciErrors.ConnectTimeoutError) return { kind: 'network', message };
  if (error instanceof Error && 'code' in error && ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'].includes(String(error.code))) {
    return { kind: 'network', message };
  }
  return { kind: 'timeout', message };
}
