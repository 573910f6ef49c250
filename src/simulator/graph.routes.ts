/**
 * The Graph API endpoints the hub calls, at Meta's paths under any `/{version}` (v23.0, v24.0, …),
 * each behind `Authorization: Bearer`. Handlers are thin: authenticate, apply injected faults,
 * call the use case, write the reply.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../platform/clock.js';
import { graphError, serverError, tokenExpired, type GraphReply } from './errors.js';
import type { IdFactory } from './ids.js';
import type { Endpoint, Injections } from './injections.js';
import { kindOf, maxBytesFor, SUPPORTED_MEDIA_TYPES, type MediaStore } from './media.js';
import type { PhoneNumber, Settings } from './schemas.js';
import type { AccessTokens, NumberRegistry } from './state.js';
import { validateTemplateCreate } from './template-create.js';
import { pageOf, publicTemplate, type Template, type TemplateStore } from './templates.js';
import type { Timers } from './timers.js';

export type GraphRouteDeps = {
  settings: () => Settings;
  clock: Clock;
  ids: IdFactory;
  numbers: NumberRegistry;
  tokens: AccessTokens;
  injections: Injections;
  media: MediaStore;
  templates: TemplateStore;
  /** Held responses (injected timeouts, answer delays) sleep here, so that closing the simulator releases them. */
  holds: Timers;
  /** How long the next request waits before it is handled (`answerDelayMs`). */
  answerDelayMs: () => number;
  send(number: PhoneNumber, body: unknown): GraphReply;
  /** A template was created (PENDING): schedules its review. */
  templateCreated(template: Template): void;
};

const VERSION = /^v\d+\.\d+$/;

export function sendGraph(reply: FastifyReply, graph: GraphReply): FastifyReply {
  return reply.code(graph.status).headers(graph.headers ?? {}).type('application/json').send(graph.body);
}

/** Where this request reached us: download URLs must be reachable the same way. */
const origin = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

export function registerGraphRoutes(app: FastifyInstance, deps: GraphRouteDeps): void {
  const trace = () => deps.ids.fbtraceId();

  const authenticate = (request: FastifyRequest): GraphReply | null => {
    const check = deps.tokens.check(request.headers.authorization);
    if (check.ok) return null;
    if (check.reason === 'expired') return tokenExpired(trace(), check.expiredAt, deps.clock.now());
    return graphError(190, trace());
  };

  /** Meta answers for ids it does not know (or may not show you) with 100 / subcode 33. */
  const unknownObject = (id: string, method: string) =>
    graphError(100, trace(), {
      message: `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
      subcode: 33,
      details: `Object with ID '${id}' does not exist`,
    });

  /** Version, token, the answer delay, then any injected fault. Returns a reply to send, or null to go on. */
  const guard = async (request: FastifyRequest, version: string, endpoint: Endpoint, body: unknown): Promise<GraphReply | null> => {
    const delayMs = deps.answerDelayMs();
    // Meta handles (and counts) the request only after this: the hub cannot tell when in between.
    if (delayMs > 0 && !(await deps.holds.sleep(delayMs))) return serverError(503, trace());
    if (!VERSION.test(version)) return graphError(2500, trace(), { message: `Unknown path components: /${version}` });
    const denied = authenticate(request);
    if (denied) return denied;
    const fault = deps.injections.take(endpoint, body);
    if (fault?.kind === 'error') {
      if (fault.code === undefined) return serverError(fault.httpStatus ?? 500, trace());
      return graphError(fault.code, trace(), {
        ...(fault.details === undefined ? {} : { details: fault.details }),
        ...(fault.httpStatus === undefined ? {} : { httpStatus: fault.httpStatus }),
      });
    }
    if (fault?.kind === 'timeout') {
      // Held past the client's timeout; afterwards the request is handled as usual, like a slow
      // Meta that did send the message: the client cannot tell, which is the point of the test.
      const completed = await deps.holds.sleep(fault.delayMs);
      if (!completed) return serverError(503, trace());
    }
    return null;
  };

  app.post<{ Params: { version: string; phoneNumberId: string } }>('/:version/:phoneNumberId/messages', async (request, reply) => {
    const { version, phoneNumberId } = request.params;
    const number = deps.numbers.get(phoneNumberId);
    const early = await guard(request, version, 'messages', request.body);
    if (early) return sendGraph(reply, early);
    if (!number) return sendGraph(reply, unknownObject(phoneNumberId, 'post'));
    return sendGraph(reply, deps.send(number, request.body));
  });

  app.post<{ Params: { version: string; phoneNumberId: string } }>('/:version/:phoneNumberId/media', async (request, reply) => {
    const { version, phoneNumberId } = request.params;
    const early = await guard(request, version, 'media', null);
    if (early) return sendGraph(reply, early);
    if (!deps.numbers.get(phoneNumberId)) return sendGraph(reply, unknownObject(phoneNumberId, 'post'));
    if (!request.isMultipart()) return sendGraph(reply, graphError(100, trace(), { details: 'Param file is required (multipart/form-data).' }));

    const fields: Record<string, string> = {};
    let file: { bytes: Buffer; mimeType: string; filename: string } | null = null;
    try {
      for await (const part of request.parts()) {
        if (part.type === 'file') file = { bytes: await part.toBuffer(), mimeType: part.mimetype, filename: part.filename };
        else fields[part.fieldname] = String(part.value);
      }
    } catch (e) {
      const tooLarge = e instanceof app.multipartErrors.RequestFileTooLargeError;
      return sendGraph(reply, graphError(tooLarge ? 131053 : 100, trace(), { details: tooLarge ? 'The file is larger than any media type allows.' : 'The multipart body could not be read.' }));
    }
    if (fields['messaging_product'] !== 'whatsapp') return sendGraph(reply, graphError(100, trace(), { details: 'Param messaging_product is required and must be whatsapp.' }));
    if (!file) return sendGraph(reply, graphError(100, trace(), { details: 'Param file is required.' }));
    const mimeType = fields['type'] ?? file.mimeType;
    const max = maxBytesFor(mimeType);
    if (!kindOf(mimeType) || max === null) {
      // The wording Graph uses for an unsupported upload type.
      return sendGraph(reply, graphError(100, trace(), { details: `Param file must be a file with one of the following types: ${SUPPORTED_MEDIA_TYPES.join(', ')}. Received file of type '${mimeType}'.` }));
    }
    if (file.bytes.length > max) return sendGraph(reply, graphError(131053, trace(), { details: `The file is ${file.bytes.length} bytes; ${mimeType} allows at most ${max}.` }));
    const stored = deps.media.put({ bytes: file.bytes, mimeType, filename: file.filename, phoneNumberId });
    return sendGraph(reply, { status: 200, body: { id: stored.id } });
  });

  app.get<{ Params: { version: string; objectId: string }; Querystring: { phone_number_id?: string } }>('/:version/:objectId', async (request, reply) => {
    const { version, objectId } = request.params;
    const early = await guard(request, version, 'media', null);
    if (early) return sendGraph(reply, early);
    const template = deps.templates.get(objectId);
    if (template) return sendGraph(reply, { status: 200, body: publicTemplate(template) });
    const media = deps.media.get(objectId);
    const scoped = request.query.phone_number_id;
    if (!media || (scoped !== undefined && media.phoneNumberId !== scoped)) return sendGraph(reply, unknownObject(objectId, 'get'));
    const settings = deps.settings();
    return sendGraph(reply, {
      status: 200,
      body: {
        messaging_product: 'whatsapp',
        url: deps.media.issueUrl(media.id, origin(request), deps.clock.now(), settings.mediaUrlTtlMs),
        mime_type: media.mimeType,
        sha256: settings.mediaSha256Encoding === 'hex' ? media.sha256Hex : media.sha256Base64,
        // A quoted string in Meta's samples (graph-media-metadata.json).
        file_size: String(media.bytes.length),
        id: media.id,
      },
    });
  });

  app.delete<{ Params: { version: string; objectId: string } }>('/:version/:objectId', async (request, reply) => {
    const { version, objectId } = request.params;
    const early = await guard(request, version, 'media', null);
    if (early) return sendGraph(reply, early);
    if (!deps.media.delete(objectId)) return sendGraph(reply, unknownObject(objectId, 'delete'));
    return sendGraph(reply, { status: 200, body: { success: true } });
  });

  // The download URL handed out by GET /{media-id}, shaped like Meta's lookaside URL.
  app.get<{ Querystring: { mid?: string; hash?: string } }>('/whatsapp_business/attachments/', async (request, reply) => {
    const denied = authenticate(request);
    if (denied) return sendGraph(reply, denied);
    const found = deps.media.resolve(request.query.hash ?? '', request.query.mid ?? '', deps.clock.now());
    // Expired or unknown: 404, and the client must ask GET /{media-id} for a fresh URL (NOTES §10).
    if (typeof found === 'string') return reply.code(404).type('text/plain').send(found === 'expired' ? 'URL expired' : 'Not found');
    return reply.code(200).header('content-length', found.bytes.length).type(found.mimeType).send(found.bytes);
  });

  type TemplateQuery = { limit?: string; after?: string; before?: string; fields?: string; status?: string; name?: string; category?: string; language?: string };
  app.get<{ Params: { version: string; wabaId: string }; Querystring: TemplateQuery }>('/:version/:wabaId/message_templates', async (request, reply) => {
    const { version, wabaId } = request.params;
    const early = await guard(request, version, 'templates', null);
    if (early) return sendGraph(reply, early);
    if (!deps.numbers.wabaIds().includes(wabaId)) return sendGraph(reply, unknownObject(wabaId, 'get'));
    const q = request.query;
    const limit = q.limit === undefined ? 25 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return sendGraph(reply, graphError(100, trace(), { details: 'Param limit must be an integer between 1 and 1000.' }));
    const eq = (a: string, b: string | undefined) => b === undefined || a.toUpperCase() === b.toUpperCase();
    const matching = deps.templates
      .list(wabaId)
      .filter((t) => eq(t.status, q.status) && eq(t.category, q.category) && (q.language === undefined || t.language === q.language) && (q.name === undefined || t.name.includes(q.name)));
    const page = pageOf(matching, { limit, after: q.after, before: q.before });
    const fields = q.fields?.split(',').map((f) => f.trim()).filter(Boolean);
    const data = page.data.map((t) => {
      const full = publicTemplate(t);
      // Graph returns the requested fields, and always the id.
      return fields ? Object.fromEntries(Object.entries(full).filter(([k]) => k === 'id' || fields.includes(k))) : full;
    });
    if (data.length === 0) return sendGraph(reply, { status: 200, body: { data: [] } });
    const link = (cursor: Record<string, string>) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(q)) if (k !== 'after' && k !== 'before' && v !== undefined) params.set(k, String(v));
      params.set('limit', String(limit));
      for (const [k, v] of Object.entries(cursor)) params.set(k, v);
      return `${origin(request)}/${version}/${wabaId}/message_templates?${params.toString()}`;
    };
    return sendGraph(reply, {
      status: 200,
      body: {
        data,
        paging: {
          cursors: { before: page.before, after: page.after },
          // `next` is absent on the last page, `previous` on the first.
          ...(page.hasPrevious && page.before ? { previous: link({ before: page.before }) } : {}),
          ...(page.hasNext && page.after ? { next: link({ after: page.after }) } : {}),
        },
      },
    });
  });

  app.post<{ Params: { version: string; wabaId: string } }>('/:version/:wabaId/message_templates', async (request, reply) => {
    const { version, wabaId } = request.params;
    const early = await guard(request, version, 'templates', request.body);
    if (early) return sendGraph(reply, early);
    if (!deps.numbers.wabaIds().includes(wabaId)) return sendGraph(reply, unknownObject(wabaId, 'post'));
    const check = validateTemplateCreate(request.body);
    if (!check.ok) return sendGraph(reply, graphError(100, trace(), { details: check.details }));
    if (deps.templates.find(wabaId, check.seed.name, check.seed.language)) {
      return sendGraph(reply, graphError(100, trace(), { subcode: 2388024, details: `Message template "${check.seed.name}" already exists in ${check.seed.language}.` }));
    }
    const template = deps.templates.add({ ...check.seed, wabaId }, wabaId);
    deps.templateCreated(template);
    return sendGraph(reply, { status: 200, body: { id: template.id, status: template.status, category: template.category } });
  });
}
