/**
 * Meta's template errors (NOTES §8), as clear codes and messages for the timeline and the API.
 * Meta answers them synchronously (a Graph error) or in a `failed` status webhook; none is worth
 * retrying as is. `impliedStatus` says what the error proves about the template itself, so the
 * catalogue can be corrected before the next send (a 132015 means the template is paused now).
 */

export type TemplateErrorCode =
  | 'TEMPLATE_PARAMETER_COUNT_MISMATCH'
  | 'TEMPLATE_NOT_FOUND'
  | 'TEMPLATE_TEXT_TOO_LONG'
  | 'TEMPLATE_POLICY_VIOLATION'
  | 'TEMPLATE_PARAMETER_FORMAT_MISMATCH'
  | 'TEMPLATE_PAUSED'
  | 'TEMPLATE_DISABLED';

export type TemplateMetaError = {
  metaCode: number;
  code: TemplateErrorCode;
  message: string;
  impliedStatus: 'PAUSED' | 'DISABLED' | null;
};

const CATALOGUE: Record<number, Omit<TemplateMetaError, 'metaCode'>> = {
  132000: {
    code: 'TEMPLATE_PARAMETER_COUNT_MISMATCH',
    message: "The number of parameters sent does not match the template's placeholders.",
    impliedStatus: null,
  },
  132001: {
    code: 'TEMPLATE_NOT_FOUND',
    message: 'The template does not exist in this language, or is not approved (yet).',
    impliedStatus: null,
  },
  132005: {
    code: 'TEMPLATE_TEXT_TOO_LONG',
    message: 'With its parameters filled in, the text is longer than WhatsApp allows.',
    impliedStatus: null,
  },
  132007: {
    code: 'TEMPLATE_POLICY_VIOLATION',
    message: "The template's content violates WhatsApp's policies.",
    impliedStatus: null,
  },
  132012: {
    code: 'TEMPLATE_PARAMETER_FORMAT_MISMATCH',
    message: 'A parameter has the wrong format (named vs positional, or the wrong type for its place).',
    impliedStatus: null,
  },
  132015: {
    code: 'TEMPLATE_PAUSED',
    message: 'The template is paused by Meta for low quality; it cannot be sent until Meta unpauses it.',
    impliedStatus: 'PAUSED',
  },
  132016: {
    code: 'TEMPLATE_DISABLED',
    message: 'The template is disabled by Meta for good; create a new template.',
    impliedStatus: 'DISABLED',
  },
};

export const TEMPLATE_META_ERROR_CODES = Object.keys(CATALOGUE).map(Number);

/** The clear code and message for one of Meta's template errors, or null for any other code. */
export function templateErrorFor(metaCode: number, details?: string | null): TemplateMetaError | null {
  const entry = CATALOGUE[metaCode];
  if (!entry) return null;
  const message = details ? `${entry.message} Meta says: ${details}` : entry.message;
  return { metaCode, ...entry, message };
}
