import type {
  Consent,
  ContactDetail,
  Conversation,
  ConversationState,
  CrmPatch,
  CrmPerson,
  MessageAccepted,
  Note,
  Page,
  QuickReply,
  Session,
  TeamMember,
  Template,
  TemplatePreview,
  TimelineEntry,
  View,
} from './types';

/** An answer other than 2xx, with the hub's stable error code and its human message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const BASE = '/api/v1';
let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when a request answers 401 after login (the session expired or was revoked). */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

type Options = { method?: string; body?: unknown; signal?: AbortSignal; quiet401?: boolean };

export async function request<T>(path: string, options: Options = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: BodyInit | undefined;
  if (options.body instanceof FormData) body = options.body;
  else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  // State-changing requests carry the token the session was given (double-submit CSRF defence).
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(`${BASE}${path}`, { method, headers, body, credentials: 'same-origin', signal: options.signal });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK', 'The hub cannot be reached. Check your connection; the page retries by itself.');
  }
  const text = await response.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    if (response.status === 401 && !options.quiet401) onUnauthorized?.();
    throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? `The hub answered ${response.status}.`, error?.details);
  }
  return json as T;
}

const post = <T>(path: string, body: unknown = {}) => request<T>(path, { method: 'POST', body });
const qs = (params: Record<string, string | number | undefined | null>) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const s = search.toString();
  return s ? `?${s}` : '';
};

export type ConversationFilters = { view: View; state?: string; phoneNumberId?: string; tag?: string; q?: string };

export const api = {
  login: (email: string, password: string) => request<Session>('/auth/login', { method: 'POST', body: { email, password }, quiet401: true }),
  logout: () => post<unknown>('/auth/logout'),
  me: () => request<Session>('/auth/me', { quiet401: true }),

  users: () => request<{ items: TeamMember[] }>('/users'),
  numbers: () => request<{ items: { phoneNumberId: string; displayPhoneNumber: string | null }[] }>('/inbox/numbers'),

  conversations: (filters: ConversationFilters, cursor?: string | null, signal?: AbortSignal) =>
    request<Page<Conversation>>(`/conversations${qs({ ...filters, cursor, limit: 50 })}`, { signal }),
  conversation: (id: string) => request<Conversation>(`/conversations/${encodeURIComponent(id)}`),
  assign: (id: string, userId: string | null) => post<Conversation>(`/conversations/${encodeURIComponent(id)}/assign`, { userId }),
  setState: (id: string, state: ConversationState) => post<Conversation>(`/conversations/${encodeURIComponent(id)}/state`, { state }),
  markRead: (id: string) => post<unknown>(`/conversations/${encodeURIComponent(id)}/read`),
  typing: (id: string) => post<unknown>(`/conversations/${encodeURIComponent(id)}/typing`),
  notes: (id: string) => request<{ items: Note[] }>(`/conversations/${encodeURIComponent(id)}/notes`),
  addNote: (id: string, body: string) => post<Note>(`/conversations/${encodeURIComponent(id)}/notes`, { body }),

  quickReplies: () => request<{ items: QuickReply[] }>('/quick-replies'),

  contact: (id: string) => request<ContactDetail>(`/contacts/${encodeURIComponent(id)}`),
  updateContactFields: (id: string, fields: Record<string, unknown>) =>
    request<ContactDetail>(`/contacts/${encodeURIComponent(id)}`, { method: 'PATCH', body: { fields } }),
  timeline: (contactId: string, cursor?: string | null) =>
    request<{ data: TimelineEntry[]; nextCursor: string | null }>(`/contacts/${encodeURIComponent(contactId)}/timeline${qs({ limit: 100, cursor })}`),
  consent: (contactId: string) => request<Consent>(`/contacts/${encodeURIComponent(contactId)}/consent`),
  crmPerson: (contactId: string) => request<CrmPerson>(`/crm/people/${encodeURIComponent(contactId)}`),
  updateCrmPerson: (contactId: string, patch: CrmPatch) =>
    request<CrmPerson>(`/crm/people/${encodeURIComponent(contactId)}`, { method: 'PATCH', body: patch }),

  send: (body: Record<string, unknown>) => post<MessageAccepted>('/messages', body),
  upload: (file: File, from: string) => {
    const form = new FormData();
    form.set('from', from);
    form.set('file', file);
    return request<{ id: string; kind: string; mimeType: string }>('/media', { method: 'POST', body: form });
  },
  templates: () => request<{ data: Template[] }>('/templates'),
  previewTemplate: (name: string, body: { contactId: string; language: string; parameters?: unknown }) =>
    post<TemplatePreview>(`/templates/${encodeURIComponent(name)}/preview`, body),
};

export const mediaUrl = (id: string) => `${BASE}/media/${encodeURIComponent(id)}`;
export const eventsUrl = `${BASE}/events`;
