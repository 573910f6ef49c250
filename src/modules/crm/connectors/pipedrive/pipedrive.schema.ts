import { z } from 'zod';

/** The Pipedrive answers the connector reads, parsed loosely (Pipedrive adds fields; we keep going). */

const Contact = z.looseObject({ value: z.string(), primary: z.boolean().optional(), label: z.string().nullable().optional() });

/** A person as API v2 (and webhooks v2) show it. */
export const PipedrivePerson = z.looseObject({
  id: z.number(),
  name: z.string().nullable().optional(),
  first_name: z.string().nullable().optional(),
  last_name: z.string().nullable().optional(),
  owner_id: z.number().nullable().optional(),
  add_time: z.string().nullable().optional(),
  update_time: z.string().nullable().optional(),
  emails: z.array(Contact).nullable().optional(),
  phones: z.array(Contact).nullable().optional(),
  label_ids: z.array(z.number()).nullable().optional(),
  custom_fields: z.record(z.string(), z.unknown()).nullable().optional(),
  is_deleted: z.boolean().optional(),
});
export type PipedrivePerson = z.infer<typeof PipedrivePerson>;

export const PersonResponse = z.looseObject({ success: z.literal(true), data: PipedrivePerson });

/** v2 lists page with an opaque cursor. */
export const PersonListResponse = z.looseObject({
  success: z.literal(true),
  data: z.array(PipedrivePerson).nullable(),
  additional_data: z.looseObject({ next_cursor: z.string().nullable().optional() }).nullable().optional(),
});

export const PersonSearchResponse = z.looseObject({
  success: z.literal(true),
  data: z.looseObject({ items: z.array(z.looseObject({ result_score: z.number().optional(), item: z.looseObject({ id: z.number() }) })) }).nullable(),
  additional_data: z.looseObject({ next_cursor: z.string().nullable().optional() }).nullable().optional(),
});

/** v1 lists page with `start`/`limit` and `additional_data.pagination`. */
const V1Pagination = z
  .looseObject({
    pagination: z.looseObject({ start: z.number().optional(), limit: z.number().optional(), more_items_in_collection: z.boolean().optional(), next_start: z.number().optional() }).optional(),
  })
  .nullable()
  .optional();

export const PersonField = z.looseObject({
  id: z.number(),
  key: z.string(),
  name: z.string(),
  field_type: z.string().optional(),
  options: z.array(z.looseObject({ id: z.union([z.number(), z.string()]), label: z.string() })).nullable().optional(),
});
export type PersonField = z.infer<typeof PersonField>;

export const PersonFieldsResponse = z.looseObject({ success: z.literal(true), data: z.array(PersonField).nullable(), additional_data: V1Pagination });

export const NoteItem = z.looseObject({ id: z.number(), content: z.string().nullable().optional(), add_time: z.string().nullable().optional() });
export const NotesResponse = z.looseObject({ success: z.literal(true), data: z.array(NoteItem).nullable(), additional_data: V1Pagination });

export const ActivityItem = z.looseObject({ id: z.number(), note: z.string().nullable().optional(), add_time: z.string().nullable().optional() });
export const ActivitiesResponse = z.looseObject({ success: z.literal(true), data: z.array(ActivityItem).nullable(), additional_data: V1Pagination });

export const CreatedResponse = z.looseObject({ success: z.literal(true), data: z.looseObject({ id: z.number() }) });

/** `{success:false, error, error_info, code?|errorCode?}` */
export const PipedriveErrorBody = z.looseObject({
  success: z.literal(false).optional(),
  error: z.string().optional(),
  error_info: z.string().optional(),
  code: z.union([z.string(), z.number()]).optional(),
  errorCode: z.union([z.string(), z.number()]).optional(),
});

/** Webhooks v2: `{meta:{action, entity, …}, data, previous}`. */
export const PipedriveWebhook = z.looseObject({
  meta: z.looseObject({
    action: z.string(),
    entity: z.string(),
    entity_id: z.union([z.string(), z.number()]).optional(),
    timestamp: z.union([z.string(), z.number()]).optional(),
    version: z.string().optional(),
  }),
  data: z.unknown().optional(),
  previous: z.unknown().optional(),
});
