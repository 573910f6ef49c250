/**
 * Meta's error codes on failed messages, in words an agent can act on. The title Meta sends is
 * terse ("Re-engagement message"); these sentences say what happened and what to do instead.
 */
const SENTENCES: Record<number, string> = {
  130429: 'Too many messages were sent from this number too quickly (Meta’s throughput limit). The hub retries; try again in a moment.',
  131026: 'The message could not be delivered: the number may not be on WhatsApp, or the customer has not accepted the latest terms or uses an old app.',
  131047: 'More than 24 hours have passed since the customer last wrote, so only an approved template can be sent now.',
  131050: 'The customer has stopped marketing messages from this business. Send marketing again only after they opt back in.',
  131051: 'WhatsApp does not support this message type.',
  131052: 'The customer’s media could not be downloaded.',
  131053: 'The media could not be uploaded: check its type and size.',
  131056: 'Too many messages were sent to this customer in a short time. Wait a little before sending again.',
  131049: 'Meta did not deliver this marketing message to keep the customer’s experience healthy. Try later or send a different message.',
  132000: 'The number of template parameters does not match the template. Check the variables and send again.',
  132001: 'This template does not exist in that language, or it is not approved yet.',
  132005: 'The template text is too long once its parameters are filled in.',
  132007: 'The template breaks WhatsApp’s formatting policy.',
  132012: 'A template parameter has the wrong format.',
  132015: 'The template is paused because of low quality.',
  132016: 'The template has been disabled because of low quality.',
  131000: 'Something went wrong on WhatsApp’s side. Try again.',
  131005: 'The access token does not allow sending from this number. An admin needs to check the number’s settings.',
  131008: 'A required field is missing from the message.',
  131009: 'A value in the message is not valid.',
  131021: 'The recipient is the sending number itself.',
  131031: 'The business account has been locked by Meta.',
  131042: 'There is a payment problem on the WhatsApp Business account.',
  131045: 'The phone number is not registered with WhatsApp for sending.',
  131057: 'The business account is in maintenance mode.',
  133010: 'The phone number is not registered with WhatsApp.',
  368: 'The business account is temporarily blocked by Meta for policy violations.',
};

/** The sentence for a failed message: ours where we know the code, else Meta's own title and details. */
export function failureReason(error: { code: number; title?: string | null; details?: string | null } | null): string {
  if (!error) return 'The message could not be sent.';
  const known = SENTENCES[error.code];
  if (known) return known;
  const meta = [error.title, error.details].filter((part) => part && part.trim()).join(': ');
  return meta ? `${meta} (Meta error ${error.code}).` : `WhatsApp refused the message (Meta error ${error.code}).`;
}

/** Sentences for the hub's own refusals (`POST /messages` and friends). */
const API_SENTENCES: Record<string, string> = {
  WINDOW_CLOSED:
    'The 24-hour customer service window is closed: the customer last wrote more than 24 hours ago, so WhatsApp only allows an approved template now.',
  CONSENT_OPTED_OUT: 'The customer has opted out of this kind of message.',
  CONTACT_OPTED_OUT: 'The customer has opted out of this kind of message.',
  NUMBER_NOT_CONFIGURED: 'This WhatsApp number is not configured on the hub.',
  TEMPLATE_NOT_FOUND: 'That template is not in the catalogue.',
  TEMPLATE_NOT_SENDABLE: 'That template variant is not approved, so it cannot be sent.',
  FORBIDDEN: 'Your role does not allow this.',
  CSRF_INVALID: 'Your session token is out of date. Reload the page and try again.',
};

export function apiErrorSentence(code: string, message: string): string {
  return API_SENTENCES[code] ?? message;
}
