import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorResponse } from '../../http/error.schema.js';
import { replyError } from '../../http/reply-error.js';
import { AppError } from '../../platform/errors.js';
import type { AutomationDeps } from './automation.deps.js';
import { DryRunEvent, dryRunRule } from './dry-run-rule.js';
import { ruleRepository, type StoredRule } from './rule.repository.js';
import { runRepository, type Run } from './run.repository.js';
import { issuesOf, saveRule, withSecretsMasked } from './save-rule.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const Json = z.record(z.string(), z.unknown());

const RuleResponse = Json.describe('The rule in its public format (webhook secrets hidden: send the mask back to keep one), with `source` (api or file), `createdAt` and `updatedAt`');
const ruleResponse = (s: StoredRule) => ({ ...withSecretsMasked(s.rule), source: s.source, createdAt: iso(s.createdAt), updatedAt: iso(s.updatedAt) });

const ActionResultResponse = z.object({
  index: z.number(),
  type: z.string(),
  status: z.enum(['ok', 'failed', 'skipped']),
  code: z.string().nullable(),
  message: z.string().nullable(),
  detail: Json.nullable(),
  at: z.string(),
});
const RunResponse = z.object({
  id: z.string(),
  ruleId: z.string(),
  ruleName: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  contactId: z.string(),
  status: z.enum(['running', 'succeeded', 'failed', 'skipped']).describe('skipped: the trigger matched and a condition did not'),
  trigger: Json,
  conditions: z.array(Json),
  plannedActions: z.array(Json).describe('The actions with their values filled, as decided when the run started'),
  results: z.array(ActionResultResponse),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
const RunsPage = z.object({ data: z.array(RunResponse), nextCursor: z.string().nullable() });

const PageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional().describe('nextCursor of the previous page'),
};

function decodeCursor(cursor: string | undefined): { startedAt: number; id: string } | undefined | null {
  if (cursor === undefined) return undefined;
  const [at, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  const startedAt = Number(at);
  return Number.isFinite(startedAt) && rest.length > 0 ? { startedAt, id: rest.join(':') } : null;
}

async function runsPage(deps: AutomationDeps, filter: { ruleId?: string; contactId?: string }, query: { limit: number; cursor?: string | undefined }) {
  const before = decodeCursor(query.cursor);
  if (before === null) return new AppError('RUNS_CURSOR_INVALID', 'The cursor is not one this API gave.');
  const runs = await runRepository.page(deps.db, filter, { limit: query.limit + 1, before });
  const page = runs.slice(0, query.limit);
  const results = await runRepository.results(deps.db, page.map((r) => r.id));
  const last = page[page.length - 1];
  return {
    data: page.map((run: Run) => ({
      id: run.id,
      ruleId: run.ruleId,
      ruleName: run.ruleName,
      eventId: run.eventId,
      eventType: run.eventType,
      contactId: run.contactId,
      status: run.status,
      trigger: run.evaluation.trigger,
      conditions: run.evaluation.conditions,
      plannedActions: run.evaluation.actions,
      results: (results.get(run.id) ?? []).map((r) => ({ ...r, at: iso(r.at)! })),
      error: run.errorCode ? { code: run.errorCode, message: run.errorMessage ?? '' } : null,
      startedAt: iso(run.startedAt)!,
      finishedAt: iso(run.finishedAt),
    })),
    nextCursor: runs.length > query.limit && last ? Buffer.from(`${last.startedAt}:${last.id}`).toString('base64url') : null,
  };
}

const notFound = (id: string) => new AppError('RULE_NOT_FOUND', `No rule ${id}.`);
const RuleId = z.object({ id: z.string().min(1).max(200) });

export const rulesRoutes: FastifyPluginAsyncZod<{ deps: AutomationDeps }> = async (app, { deps }) => {
  app.get(
    '/rules',
    { schema: { summary: 'Automation rules, in evaluation order', tags: ['automation'], response: { 200: z.object({ data: z.array(RuleResponse) }) } } },
    async () => ({ data: (await ruleRepository.list(deps.db)).map(ruleResponse) }),
  );

  app.post(
    '/rules',
    {
      schema: {
        summary: 'Create a rule: a trigger, conditions and actions',
        description: '422 RULE_INVALID lists every problem in `details.issues` as `{path, message}`; 409 RULE_ALREADY_EXISTS when the id is taken.',
        tags: ['automation'],
        // Checked by the rule format itself, to report every problem with its path.
        body: z.unknown(),
        response: { 201: RuleResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const saved = await saveRule(deps, request.body, { mode: 'create', source: 'api' });
      if (!saved.ok) return replyError(reply, saved.error);
      return reply.status(201).send(ruleResponse(saved.value.stored));
    },
  );

  app.get(
    '/rules/:id',
    { schema: { summary: 'One rule', tags: ['automation'], params: RuleId, response: { 200: RuleResponse, 404: ErrorResponse } } },
    async (request, reply) => {
      const stored = await ruleRepository.find(deps.db, request.params.id);
      return stored ? ruleResponse(stored) : replyError(reply, notFound(request.params.id));
    },
  );

  app.put(
    '/rules/:id',
    {
      schema: {
        summary: 'Create or replace a rule',
        tags: ['automation'],
        params: RuleId,
        body: z.unknown(),
        response: { 200: RuleResponse, 201: RuleResponse, 400: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const saved = await saveRule(deps, request.body, { mode: 'replace', pathId: request.params.id, source: 'api' });
      if (!saved.ok) return replyError(reply, saved.error);
      return reply.status(saved.value.created ? 201 : 200).send(ruleResponse(saved.value.stored));
    },
  );

  app.delete(
    '/rules/:id',
    { schema: { summary: 'Delete a rule (its runs stay in the audit trail)', tags: ['automation'], params: RuleId, response: { 204: z.null(), 404: ErrorResponse } } },
    async (request, reply) => {
      if (!(await ruleRepository.delete(deps.db, request.params.id))) return replyError(reply, notFound(request.params.id));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/rules/:id/dry-run',
    {
      schema: {
        summary: 'What the rule would do for an event: the trigger, each condition, the actions with their values filled; nothing is done',
        description:
          'Body: `{"event": {...}}`, a domain event (`type`, `contactId`, …) or a shorthand: `{"contactId", "kind": "message.received", "text"}`, `{"contactId", "kind": "reply", "reply": {"payload", "title"}}`, `{"contactId", "kind": "crm.person_created", "tags", "fields", "ownerId"}`, `message.failed` (errorCodes), `consent.opt_out` (category), `window.closing`.',
        tags: ['automation'],
        params: RuleId,
        body: z.object({ event: z.unknown() }),
        response: { 200: Json, 404: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const stored = await ruleRepository.find(deps.db, request.params.id);
      if (!stored) return replyError(reply, notFound(request.params.id));
      const sample = DryRunEvent.safeParse(request.body.event);
      if (!sample.success) {
        const issues = issuesOf(sample.error);
        return replyError(reply, new AppError('DRY_RUN_EVENT_INVALID', `The sample event is invalid: ${issues[0]?.path}: ${issues[0]?.message}`, { issues }));
      }
      const result = await dryRunRule(deps, stored.rule, sample.data);
      if (!result.ok) return replyError(reply, result.error);
      return result.value as unknown as Record<string, unknown>;
    },
  );

  app.get(
    '/rules/:id/runs',
    {
      schema: {
        summary: "The rule's runs, newest first: the audit trail of what it did and why",
        tags: ['automation'],
        params: RuleId,
        querystring: z.object(PageQuery),
        response: { 200: RunsPage, 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      // A deleted rule's runs remain readable.
      const page = await runsPage(deps, { ruleId: request.params.id }, request.query);
      if (page instanceof AppError) return replyError(reply, page);
      if (page.data.length === 0 && !(await ruleRepository.find(deps.db, request.params.id)) && !request.query.cursor) return replyError(reply, notFound(request.params.id));
      return page;
    },
  );

  app.get(
    '/automation/runs',
    {
      schema: {
        summary: 'Automation runs, newest first, optionally for one contact',
        tags: ['automation'],
        querystring: z.object({ contactId: z.string().optional(), ...PageQuery }),
        response: { 200: RunsPage, 400: ErrorResponse },
      },
    },
    async (request, reply) => {
      const page = await runsPage(deps, request.query.contactId ? { contactId: request.query.contactId } : {}, request.query);
      if (page instanceof AppError) return replyError(reply, page);
      return page;
    },
  );
};
