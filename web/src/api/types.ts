/** What the hub's REST API answers (see the API contract in src/modules/inbox/README.md). */

/** The inbox API gives times as epoch milliseconds; the older modules give ISO 8601 strings. */
export type Instant = string | number;

export type Role = 'admin' | 'agent' | (string & {});

export type User = { id: string; email: string; name: string; role: Role };
export type TeamMember = User & { online: boolean };

export type Session = { user: User; csrfToken: string };

export type ConversationState = 'open' | 'pending' | 'resolved';
export type View = 'mine' | 'unassigned' | 'all';

export type Contact = {
  id: string;
  name: string | null;
  phone: string | null;
  profileName?: string | null;
  tags?: string[];
  locale?: string | null;
};

export type Conversation = {
  id: string;
  contact: Contact;
  phoneNumberId: string;
  state: ConversationState;
  assignee: { id: string; name: string } | null;
  lastMessage: { text: string | null; direction: 'inbound' | 'outbound'; type: string; at: Instant } | null;
  unread: number;
  window: { open: boolean; closesAt: Instant | null };
  updatedAt: Instant;
  consent?: unknown;
};

export type Page<T> = { items: T[]; next: string | null };

export type MediaRef = {
  id: string;
  mimeType?: string | null;
  caption?: string | null;
  filename?: string | null;
  voice?: boolean;
};

export type TimelineEntry = {
  id: string;
  wamid: string | null;
  direction: 'inbound' | 'outbound';
  type: string;
  text: string | null;
  status: string | null;
  error: { code: number; title: string; details: string | null } | null;
  timestamp: string;
  media: MediaRef | null;
  content: Record<string, unknown> | null;
  context: { quotedWamid?: string | null; forwarded?: boolean; frequentlyForwarded?: boolean } | null;
  referral: Referral | null;
  reactions: { emoji: string; from: string; timestamp: string }[];
};

export type Referral = {
  sourceUrl: string | null;
  sourceId?: string | null;
  sourceType: string | null;
  headline: string | null;
  body: string | null;
  mediaType?: string | null;
  imageUrl?: string | null;
  thumbnailUrl?: string | null;
};

export type Note = { id: string; body: string; author: { id: string; name: string }; createdAt: Instant };

export type QuickReply = { id: string; shortcut: string; text: string };

export type ServiceWindow = { phoneNumberId: string; open: boolean; lastInboundAt: string | null; closesAt: string | null };

export type ContactDetail = {
  id: string;
  name: string | null;
  phone: string | null;
  waId?: string | null;
  locale: string | null;
  fields: Record<string, unknown>;
  serviceWindows?: ServiceWindow[];
};

export type TemplateVariant = {
  id: string;
  language: string;
  status: string;
  category: string;
  parameterFormat: 'POSITIONAL' | 'NAMED';
  components: Record<string, unknown>[];
};
export type Template = { name: string; wabaId: string; variants: TemplateVariant[] };

export type TemplatePreview = {
  language: string;
  chosenBecause: string;
  status: string;
  sendable: boolean;
  category: string;
  header: Record<string, unknown> | null;
  body: string | null;
  footer: string | null;
  buttons: { type: string; text: string | null }[];
};

export type ConsentWord = { status: 'opted_in' | 'opted_out' | 'unknown'; since: string | null; source: string | null };
export type Consent = {
  contactId: string;
  state: Record<string, { overall: ConsentWord; numbers: Record<string, ConsentWord> }>;
  ledger: { id: string; category: string; action: 'opt_in' | 'opt_out'; businessPhoneNumberId: string | null; source: string; occurredAt: string }[];
};

/** The CRM record the CRM module keeps for a contact; shapes vary by connector, so most fields are optional. */
export type CrmPerson = {
  contactId?: string;
  tags?: string[];
  ownerId?: string | null;
  owner?: { id: string; name?: string | null } | null;
  lifecycleStage?: string | null;
  fields?: Record<string, unknown>;
  editableFields?: string[];
  email?: string | null;
  tasks?: { id?: string; title?: string; subject?: string; dueAt?: string | null; done?: boolean; status?: 'open' | 'done' }[];
  /** The linked record in an external CRM (HubSpot, Salesforce, Pipedrive…); null with the built-in CRM alone. */
  crm?: { connector: string; crmId: string; url: string | null } | null;
  url?: string | null;
};

export type CrmPatch = {
  addTags?: string[];
  removeTags?: string[];
  ownerId?: string | null;
  lifecycleStage?: string | null;
  email?: string | null;
  fields?: Record<string, string | null>;
};

export type MessageAccepted = { id: string; status: string; error: { code: string; message: string } | null };

/** The payloads of the Server-Sent Events on /api/v1/events. */
export type InboxEvent =
  | { type: 'message'; data: { conversationId: string; contactId: string; messageId?: string; direction: 'inbound' | 'outbound' } }
  | { type: 'status'; data: { conversationId: string; contactId: string; wamid: string; status: string } }
  | { type: 'conversation'; data: { conversation: Conversation } }
  | { type: 'note'; data: { conversationId: string; note: Note } }
  | { type: 'typing'; data: { conversationId: string; userId: string; name: string } }
  | { type: 'alert'; data: { conversationId: string; userId: string | null; reason: string } }
  | { type: 'resync'; data: Record<string, never> };
