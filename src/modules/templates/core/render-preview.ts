import { err, ok, problem, type Result, type TemplateProblem } from './result.js';
import { displayOf, type FilledTemplate, type ResolvedMedia, type ResolvedValue } from './fill-parameters.js';
import { renderPlaceholders } from './placeholders.js';
import { componentOf, type TemplateVariant } from './template.js';

/** What the contact would see: the texts with the values filled in, and the buttons. */
export type TemplatePreview = {
  header: { type: 'text'; text: string } | ({ type: 'media' } & ResolvedMedia) | null;
  body: string | null;
  footer: string | null;
  buttons: PreviewButton[];
};

export type PreviewButton = {
  type: string;
  /** The label (null for copy-code and one-time-password buttons: WhatsApp labels them). */
  text: string | null;
  /** URL buttons: the full URL with its suffix filled in. */
  url?: string;
  phoneNumber?: string;
  /** Quick replies: the payload sent back when tapped. */
  payload?: string;
  /** Copy-code buttons: the code copied. */
  code?: string;
};

const asStrings = (values: ReadonlyMap<string, ResolvedValue>) => new Map([...values].map(([name, value]) => [name, displayOf(value)]));

function render(text: string, values: ReadonlyMap<string, string>, where: string): Result<string, TemplateProblem> {
  const rendered = renderPlaceholders(text, values);
  if (rendered.ok) return ok(rendered.text);
  return err(problem('TEMPLATE_PARAMETER_MISSING', `Template parameter {{${rendered.missing}}} (${where}) has no value.`, { parameter: rendered.missing, component: where }));
}

export function renderPreview(variant: Pick<TemplateVariant, 'components'>, filled: FilledTemplate): Result<TemplatePreview, TemplateProblem> {
  let header: TemplatePreview['header'] = null;
  const headerComponent = componentOf(variant.components, 'HEADER');
  if (filled.header?.kind === 'media') header = { type: 'media', ...filled.header.media };
  else if (headerComponent && typeof headerComponent.text === 'string' && (headerComponent.format ?? 'TEXT').toUpperCase() === 'TEXT') {
    const text = render(headerComponent.text, asStrings(filled.header?.values ?? new Map()), 'header');
    if (!text.ok) return text;
    header = { type: 'text', text: text.value };
  }

  const bodyText = componentOf(variant.components, 'BODY')?.text;
  let body: string | null = null;
  if (typeof bodyText === 'string') {
    const text = render(bodyText, asStrings(filled.body), 'body');
    if (!text.ok) return text;
    body = text.value;
  }

  const footer = componentOf(variant.components, 'FOOTER')?.text ?? null;

  const buttons: PreviewButton[] = [];
  for (const [index, b] of (componentOf(variant.components, 'BUTTONS')?.buttons ?? []).entries()) {
    const type = b.type.toUpperCase();
    const value = filled.buttons.find((f) => f.index === index)?.value;
    const button: PreviewButton = { type, text: b.text ?? null };
    if (type === 'URL' && typeof b.url === 'string') {
      const url = render(b.url, new Map(value === undefined ? [] : [['1', value]]), `button ${index}`);
      if (!url.ok) return url;
      button.url = url.value;
    }
    if (type === 'PHONE_NUMBER' && typeof b.phone_number === 'string') button.phoneNumber = b.phone_number;
    if (type === 'QUICK_REPLY') button.payload = value ?? b.text ?? '';
    if ((type === 'COPY_CODE' || type === 'OTP') && value !== undefined) button.code = value;
    buttons.push(button);
  }
  return ok({ header, body, footer, buttons });
}
