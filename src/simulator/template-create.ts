/**
 * `POST /{waba-id}/message_templates`: what Meta checks when a template is created (NOTES §11),
 * and the review that later approves or rejects it (message_template_status_update webhook).
 */
import { z } from 'zod';
import { TEMPLATE_NAME, TemplateCategorySchema, type TemplateSeed } from './schemas.js';
import { placeholders, templateButtons, type Template } from './templates.js';

const CreateBodySchema = z.looseObject({
  name: z.string().regex(TEMPLATE_NAME, 'must be lowercase letters, digits and underscores, at most 512 characters'),
  category: TemplateCategorySchema,
  language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2,4})?$/, 'must be a locale such as en_US or pt_BR'),
  parameter_format: z.string().transform((s) => s.toUpperCase()).pipe(z.enum(['POSITIONAL', 'NAMED'])).optional(),
  components: z.array(z.looseObject({ type: z.string() })).min(1),
});

export type CreateCheck = { ok: true; seed: TemplateSeed } | { ok: false; details: string };

const fail = (details: string): CreateCheck => ({ ok: false, details });

export function validateTemplateCreate(input: unknown): CreateCheck {
  const parsed = CreateBodySchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(`Param ${issue?.path.join('.') || 'body'} ${issue?.message ?? 'is invalid'}`);
  }
  const { name, category, language, components } = parsed.data;
  const byType = (type: string) => components.filter((c) => c.type.toUpperCase() === type);
  const [body, ...extraBodies] = byType('BODY');
  if (!body || extraBodies.length > 0) return fail('A template needs exactly one BODY component');
  const bodyText = body['text'];
  // Authentication bodies are fixed by Meta (`add_security_recommendation`), so they carry no text.
  if (category !== 'AUTHENTICATION' && (typeof bodyText !== 'string' || bodyText.length === 0 || bodyText.length > 1024)) {
    return fail('BODY text is required and must be at most 1024 characters');
  }
  const header = byType('HEADER')[0];
  if (header && String(header['format'] ?? 'TEXT').toUpperCase() === 'TEXT') {
    const text = header['text'];
    if (typeof text !== 'string' || text.length > 60) return fail('HEADER text is required and must be at most 60 characters');
    if (placeholders(text).length > 1) return fail('HEADER text can have at most one variable');
  }
  const footer = byType('FOOTER')[0];
  if (footer && category !== 'AUTHENTICATION' && (typeof footer['text'] !== 'string' || footer['text'].length > 60)) {
    return fail('FOOTER text must be at most 60 characters');
  }
  const buttons = templateButtons({ components });
  if (buttons.length > 10) return fail('A template can have at most 10 buttons');
  for (const b of buttons) {
    if (typeof b.text !== 'string' || b.text.length === 0 || b.text.length > 25) return fail('Button text is required and must be at most 25 characters');
  }

  const names = [...placeholders(header?.['text']), ...placeholders(bodyText)];
  const numeric = names.filter((n) => /^\d+$/.test(n));
  const format = parsed.data.parameter_format ?? (numeric.length === names.length ? 'POSITIONAL' : 'NAMED');
  if (format === 'POSITIONAL') {
    if (numeric.length !== names.length) return fail('Positional templates use {{1}}, {{2}}, … as variables');
    for (const text of [header?.['text'], bodyText]) {
      const found = placeholders(text).map(Number);
      // Meta requires positional variables to be numbered from 1 without gaps.
      if (found.some((n, i) => n !== i + 1)) return fail('Variables must be sequential, starting at {{1}}');
    }
  } else if (names.some((n) => !/^[a-z_][a-z0-9_]*$/.test(n))) {
    return fail('Named variables must be lowercase letters, digits and underscores, e.g. {{first_name}}');
  }
  const example = body['example'] as Record<string, unknown> | undefined;
  const exampleKey = format === 'NAMED' ? 'body_text_named_params' : 'body_text';
  if (placeholders(bodyText).length > 0 && !Array.isArray(example?.[exampleKey])) {
    return fail(`Message template "example" field is missing: BODY needs example.${exampleKey} for its variables`);
  }
  return { ok: true, seed: { name, category, language, parameter_format: format, components, status: 'PENDING' } };
}

export type TemplateReview =
  | { status: 'APPROVED' }
  | { status: 'REJECTED'; reason: string; rejectionInfo?: { reason: string; recommendation: string } };

/**
 * The default reviewer: rejects names containing `reject`, and bodies with adjacent variables
 * (`{{1}}{{2}}`), Meta's INVALID_FORMAT case (template-status-rejected-invalid-format.json).
 */
export function defaultTemplateReview(t: Pick<Template, 'name' | 'components'>): TemplateReview {
  const body = t.components.find((c) => c.type.toUpperCase() === 'BODY')?.['text'];
  const adjacent = typeof body === 'string' && /\}\}\s*\{\{/.test(body);
  if (t.name.includes('reject') || adjacent) {
    return {
      status: 'REJECTED',
      reason: 'INVALID_FORMAT',
      rejectionInfo: {
        reason: 'Your template has parameters placed next to each other (like {{1}}{{2}}) without text or punctuation between them.',
        recommendation: 'Separate parameters with descriptive text and ensure each parameter is clearly contextualized.',
      },
    };
  }
  return { status: 'APPROVED' };
}
