import { z } from 'zod';

/** Graph API responses we read, parsed loosely: Meta adds fields, we keep going. */
export const SendMessageResponse = z.looseObject({
  messaging_product: z.string().optional(),
  contacts: z.array(z.looseObject({ input: z.string().optional(), wa_id: z.string().optional(), user_id: z.string().optional() })).optional(),
  messages: z
    .array(
      z.looseObject({
        id: z.string(),
        /** Only on template sends under pacing: accepted | held_for_quality_assessment | paused. */
        message_status: z.string().optional(),
      }),
    )
    .min(1),
});

export const SuccessResponse = z.looseObject({ success: z.boolean() });

export const MediaMetadataResponse = z.looseObject({
  url: z.string(),
  mime_type: z.string(),
  sha256: z.string().optional(),
  // A quoted string in Meta's syntax, a number in some examples.
  file_size: z.union([z.string(), z.number()]).optional(),
  id: z.string(),
});

export const MediaUploadResponse = z.looseObject({ id: z.string() });

export const GraphErrorEnvelope = z.looseObject({
  error: z.looseObject({
    message: z.string().optional(),
    type: z.string().optional(),
    code: z.number(),
    error_subcode: z.number().optional(),
    error_data: z.looseObject({ details: z.string().optional() }).optional(),
    /** Template management errors explain themselves here rather than in error_data. */
    error_user_msg: z.string().optional(),
    fbtrace_id: z.string().optional(),
  }),
});

export const TemplateListResponse = z.looseObject({
  data: z.array(z.looseObject({ id: z.string(), name: z.string(), language: z.string(), status: z.string(), category: z.string().optional() })),
  paging: z.looseObject({ cursors: z.looseObject({ before: z.string().optional(), after: z.string().optional() }).optional(), next: z.string().optional() }).optional(),
});

export const CreateTemplateResponse = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  status: z.string().optional(),
  category: z.string().optional(),
});
