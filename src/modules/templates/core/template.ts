import { z } from 'zod';

/**
 * A message template variant (one name in one language) as the core reads it. Components are
 * Meta's own array (`HEADER`, `BODY`, `FOOTER`, `BUTTONS`), read leniently: Meta adds fields.
 */

export const TEMPLATE_CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;
export type TemplateCategory = (typeof TEMPLATE_CATEGORIES)[number];

export const PARAMETER_FORMATS = ['POSITIONAL', 'NAMED'] as const;
export type ParameterFormat = (typeof PARAMETER_FORMATS)[number];

export const TemplateButton = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  url: z.string().optional(),
  phone_number: z.string().optional(),
  example: z.unknown().optional(),
});
export type TemplateButton = z.infer<typeof TemplateButton>;

export const TemplateComponent = z.looseObject({
  type: z.string(),
  format: z.string().optional(),
  text: z.string().optional(),
  example: z.record(z.string(), z.unknown()).optional(),
  buttons: z.array(TemplateButton).optional(),
});
export type TemplateComponent = z.infer<typeof TemplateComponent>;

/** Components as stored or listed by Meta; anything unreadable is dropped rather than failing the read. */
export function readComponents(value: unknown): TemplateComponent[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    const parsed = TemplateComponent.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
}

/** What the core needs to know about one variant. */
export type TemplateVariant = {
  name: string;
  language: string;
  /** MARKETING | UTILITY | AUTHENTICATION (or UNKNOWN for a stub a webhook created). */
  category: string;
  /** APPROVED | PENDING | REJECTED | PAUSED | DISABLED | DELETED | … */
  status: string;
  parameterFormat: ParameterFormat;
  components: TemplateComponent[];
};

/**
 * Statuses a send may go out with. FLAGGED (negative feedback, not paused yet) and LOCKED (no
 * more edits) still send; everything else Meta refuses with 132001/132015/132016.
 */
export const SENDABLE_STATUSES: readonly string[] = ['APPROVED', 'FLAGGED', 'LOCKED'];

export const isSendable = (status: string) => SENDABLE_STATUSES.includes(status);

export const componentOf = (components: readonly TemplateComponent[], type: 'HEADER' | 'BODY' | 'FOOTER' | 'BUTTONS') =>
  components.find((c) => c.type.toUpperCase() === type);

/** `POSITIONAL` / `NAMED` from any casing; anything else is positional, Meta's default. */
export function parameterFormatOf(value: unknown): ParameterFormat {
  return typeof value === 'string' && value.toUpperCase() === 'NAMED' ? 'NAMED' : 'POSITIONAL';
}
