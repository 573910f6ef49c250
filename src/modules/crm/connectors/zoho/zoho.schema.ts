import { z } from 'zod';

/**
 * The Zoho answers the connector reads, parsed loosely (Zoho adds fields; we keep going).
 * Record ids are strings of digits in v2+ JSON.
 */

/** `POST {accounts}/oauth/v2/token` (refresh-token grant). Failures come back as HTTP 200 with `error`. */
export const ZohoTokenResponse = z.looseObject({
  access_token: z.string().optional(),
  /** Seconds; older answers also carry `expires_in_sec`. */
  expires_in: z.number().optional(),
  /** The data centre's API host for this org (`https://www.zohoapis.eu`); calls go there. */
  api_domain: z.string().optional(),
  token_type: z.string().optional(),
  error: z.string().optional(),
});

export const ZohoRecord = z.looseObject({ id: z.string() });
export type ZohoRecord = z.infer<typeof ZohoRecord>;

/** `info` of list, search, related-list and COQL answers. */
export const ZohoInfo = z.looseObject({
  more_records: z.boolean().optional(),
  next_page_token: z.string().nullable().optional(),
  page: z.number().optional(),
  per_page: z.number().optional(),
  count: z.number().optional(),
});

export const ZohoRecordsResponse = z.looseObject({
  data: z.array(ZohoRecord),
  info: ZohoInfo.optional(),
});

/** One entry of a write answer (insert, update, upsert, Notes, tags): success or a per-record error. */
export const ZohoWriteResult = z.looseObject({
  code: z.string(),
  status: z.string(),
  message: z.string().optional(),
  action: z.string().optional(),
  duplicate_field: z.string().nullable().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ZohoWriteResult = z.infer<typeof ZohoWriteResult>;

export const ZohoWriteResponse = z.looseObject({ data: z.array(ZohoWriteResult).min(1) });

/** The error envelope of a whole request: `{code, details, message, status:"error"}`. */
export const ZohoErrorEnvelope = z.looseObject({
  code: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
  message: z.string().optional(),
  status: z.string().optional(),
});
