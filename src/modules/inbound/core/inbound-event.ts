/**
 * What a WhatsApp webhook means, independent of how Meta nests it. The parser turns one envelope
 * into a list of these; handlers consume them. Times are epoch milliseconds (WhatsApp's own time).
 */

/** Who a message is from or to. Users with a WhatsApp username may come with no phone (`waId` null). */
export type UserIdentity = {
  /** WhatsApp id: E.164 digits without `+`, possibly a country variant of the stored number. */
  waId: string | null;
  /** Business-scoped user id (`CC.digits`), on every webhook since 2026. */
  bsuid: string | null;
  parentBsuid: string | null;
  profileName: string | null;
  username: string | null;
};

/** The business number a webhook concerns (`value.metadata`). */
export type BusinessNumber = {
  phoneNumberId: string;
  displayPhoneNumber: string;
};

export type MetaError = {
  code: number;
  title: string;
  message: string | null;
  details: string | null;
  href: string | null;
};

export type MediaRef = {
  id: string;
  mimeType: string | null;
  sha256: string | null;
  caption: string | null;
  filename: string | null;
  /** Download URL (Meta started sending it in 2025); still needs the bearer token. */
  url: string | null;
  /** Audio: a voice note rather than an audio file. */
  voice: boolean;
  /** Sticker: animated. */
  animated: boolean;
};

export type MessageContext = {
  /** The business number the quoted message came from. */
  from: string | null;
  /** The wamid of the quoted (or tapped) business message. */
  quotedWamid: string | null;
  forwarded: boolean;
  frequentlyForwarded: boolean;
  referredProduct: { catalogId: string; productRetailerId: string } | null;
};

/** Click-to-WhatsApp ad (or post) attribution. */
export type Referral = {
  sourceUrl: string | null;
  sourceId: string | null;
  sourceType: string | null;
  headline: string | null;
  body: string | null;
  mediaType: string | null;
  imageUrl: string | null;
  videoUrl: string | null;
  thumbnailUrl: string | null;
  ctwaClid: string | null;
  welcomeMessage: string | null;
};

export type InboundMessageType =
  | 'text'
  | 'image'
  | 'video'
  | 'audio'
  | 'document'
  | 'sticker'
  | 'location'
  | 'contacts'
  | 'interactive'
  | 'button'
  | 'order'
  | 'system'
  | 'unsupported'
  | 'unknown';

/** Type-specific content beyond text and media, in our own shape. */
export type MessageContent =
  | { type: 'location'; latitude: number; longitude: number; name: string | null; address: string | null; url: string | null }
  | { type: 'contacts'; contacts: SharedContact[] }
  | { type: 'button_reply'; id: string; title: string }
  | { type: 'list_reply'; id: string; title: string; description: string | null }
  | { type: 'flow_reply'; name: string | null; body: string | null; response: unknown }
  | { type: 'quick_reply'; payload: string; text: string }
  | { type: 'order'; catalogId: string; text: string | null; items: OrderItem[] }
  | { type: 'system'; systemType: string; body: string | null }
  | { type: 'unsupported'; unsupportedType: string | null }
  /** A type nobody knows yet, or an interactive subtype we do not model: kept as Meta sent it. */
  | { type: 'raw'; value: unknown };

export type SharedContact = {
  formattedName: string | null;
  phones: { phone: string | null; waId: string | null; type: string | null }[];
  emails: { email: string; type: string | null }[];
  organization: string | null;
};

export type OrderItem = {
  productRetailerId: string;
  quantity: number;
  itemPrice: number;
  currency: string;
};

export type MessageReceived = {
  kind: 'message_received';
  wabaId: string;
  business: BusinessNumber | null;
  wamid: string;
  from: UserIdentity;
  timestamp: number;
  type: InboundMessageType;
  /** The original `type` string from Meta (differs from `type` when it is `unknown`). */
  rawType: string;
  /** Human-readable text: body, caption, tapped button title, … (null when there is none). */
  text: string | null;
  media: MediaRef | null;
  content: MessageContent | null;
  context: MessageContext | null;
  referral: Referral | null;
  errors: MetaError[];
  /** The message object exactly as Meta sent it. */
  raw: unknown;
};

export type ReactionChanged = {
  kind: 'reaction_changed';
  wabaId: string;
  business: BusinessNumber | null;
  /** The wamid of the reaction message itself. */
  wamid: string;
  targetWamid: string;
  /** null: the reaction was removed. */
  emoji: string | null;
  from: UserIdentity;
  timestamp: number;
  raw: unknown;
};

/** `system` / `user_changed_number`: the same person now uses another number. */
export type UserChangedNumber = {
  kind: 'user_changed_number';
  wabaId: string;
  business: BusinessNumber | null;
  wamid: string;
  /** The identity before the change (the `from` of the system message). */
  from: UserIdentity;
  newWaId: string | null;
  newBsuid: string | null;
  body: string | null;
  timestamp: number;
  raw: unknown;
};

export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'played' | 'failed';

export type Pricing = {
  model: 'CBP' | 'PMP' | string;
  /** `regular`, `free_customer_service`, `free_entry_point` (PMP; absent before v24). */
  type: string | null;
  category: string | null;
  billable: boolean | null;
};

export type StatusChanged = {
  kind: 'status_changed';
  wabaId: string;
  business: BusinessNumber | null;
  wamid: string;
  /** Meta's status string; `status` is the recognised value or null for one we do not know. */
  rawStatus: string;
  status: DeliveryStatus | null;
  timestamp: number;
  recipient: UserIdentity;
  errors: MetaError[];
  pricing: Pricing | null;
  conversation: { id: string | null; originType: string | null; expiresAt: number | null } | null;
  bizOpaqueCallbackData: string | null;
  raw: unknown;
};

/** `value.errors`: a problem Meta reports about the webhook or the account rather than one message. */
export type WebhookErrorReported = {
  kind: 'webhook_error';
  wabaId: string;
  business: BusinessNumber | null;
  errors: MetaError[];
};

/** `user_preferences`: the user stopped or resumed marketing messages in WhatsApp itself. */
export type MarketingPreferenceChanged = {
  kind: 'marketing_preference_changed';
  wabaId: string;
  business: BusinessNumber | null;
  user: UserIdentity;
  category: string;
  value: string;
  detail: string | null;
  timestamp: number;
};

/** `user_id_update`: a user's BSUID changed. */
export type BsuidChanged = {
  kind: 'bsuid_changed';
  wabaId: string;
  waId: string | null;
  previousBsuid: string;
  currentBsuid: string;
  timestamp: number;
};

/** `smb_message_echoes`: the business wrote from the WhatsApp Business app (coexistence). */
export type MessageEchoed = {
  kind: 'message_echoed';
  wabaId: string;
  business: BusinessNumber | null;
  wamid: string;
  to: UserIdentity;
  timestamp: number;
  type: string;
  text: string | null;
  raw: unknown;
};

/**
 * Any other field (template status, quality, account updates, …): stored raw in the inbox and
 * surfaced as-is until a module handles it.
 */
export type FieldUpdate = {
  kind: 'field_update';
  wabaId: string;
  field: string;
  /** `entry[].time` in ms when Meta sends it. */
  time: number | null;
  value: unknown;
};

export type InboundEvent =
  | MessageReceived
  | ReactionChanged
  | UserChangedNumber
  | StatusChanged
  | WebhookErrorReported
  | MarketingPreferenceChanged
  | BsuidChanged
  | MessageEchoed
  | FieldUpdate;
