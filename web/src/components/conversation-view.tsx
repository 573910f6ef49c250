import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../api/client';
import type { Consent, ContactDetail, Conversation, ConversationState, Note, QuickReply, Session, TeamMember, TimelineEntry } from '../api/types';
import { closesIn } from '../lib/time';
import { useNow } from '../lib/use-now';
import { Composer } from './composer';
import { BackIcon } from './icons';
import { ContactPanel } from './contact-panel';
import { contactLabel } from './conversation-list';
import type { Versions } from './inbox-page';
import { Timeline } from './timeline';

type Props = {
  id: string;
  session: Session;
  users: TeamMember[];
  quickReplies: QuickReply[];
  versions: Versions;
  typing: { name: string } | null;
  onBack: () => void;
  onChanged: (conversation: Conversation) => void;
};

const STATES: { id: ConversationState; label: string }[] = [
  { id: 'open', label: 'Open' },
  { id: 'pending', label: 'Pending' },
  { id: 'resolved', label: 'Resolved' },
];

export function marketingConsent(consent: Consent | null, phoneNumberId: string | undefined) {
  const marketing = consent?.state.marketing;
  if (!marketing) return null;
  return (phoneNumberId && marketing.numbers[phoneNumberId]) || marketing.overall;
}

const CONSENT_LABEL = { opted_in: 'Marketing: opted in', opted_out: 'Marketing: opted out', unknown: 'Marketing: no consent recorded' } as const;

export function ConversationView({ id, session, users, quickReplies, versions, typing, onBack, onChanged }: Props) {
  const now = useNow(15_000);
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [timeline, setTimeline] = useState<TimelineEntry[] | null>(null);
  // Older pages the agent asked for stay loaded while the latest page is refetched on events.
  const [earlier, setEarlier] = useState<{ entries: TimelineEntry[]; cursor: string | null } | null>(null);
  const [latestCursor, setLatestCursor] = useState<string | null>(null);
  const [notes, setNotes] = useState<Note[]>([]);
  const [contact, setContact] = useState<ContactDetail | null>(null);
  const [consent, setConsent] = useState<Consent | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [panelOpen, setPanelOpen] = useState(false);
  const contactId = conversation?.contact.id;
  const closePanel = useCallback(() => setPanelOpen(false), []);

  useEffect(() => {
    let live = true;
    api.conversation(id).then(
      (c) => {
        if (!live) return;
        setConversation(c);
        setLoadError(null);
      },
      (error: unknown) => {
        if (!live) return;
        setLoadError(
          error instanceof ApiError && error.status === 403
            ? 'Your role does not allow you to open this conversation.'
            : error instanceof ApiError && error.status === 404
              ? 'This conversation does not exist (any more).'
              : error instanceof ApiError
                ? error.message
                : 'The conversation could not be loaded.',
        );
      },
    );
    return () => {
      live = false;
    };
  }, [id, versions.detail]);

  const loadTimeline = useCallback(async () => {
    if (!contactId) return;
    try {
      const page = await api.timeline(contactId);
      setTimeline(page.data);
      setLatestCursor(page.nextCursor);
    } catch {
      setTimeline((t) => t ?? []);
    }
  }, [contactId]);

  useEffect(() => {
    void loadTimeline();
  }, [loadTimeline, versions.timeline]);

  // A safety net beside the live events: changes that bring no event of their own (a customer's
  // reaction) still show within a few seconds while the page is in front.
  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') void loadTimeline();
    }, 15_000);
    return () => window.clearInterval(timer);
  }, [loadTimeline]);

  const loadNotes = useCallback(async () => {
    try {
      setNotes((await api.notes(id)).items);
    } catch {
      // Notes are secondary: the timeline still shows.
    }
  }, [id]);

  useEffect(() => {
    void loadNotes();
  }, [loadNotes, versions.notes]);

  const loadContact = useCallback(async () => {
    if (!contactId) return;
    api.contact(contactId).then(setContact, () => setContact(null));
    api.consent(contactId).then(setConsent, () => setConsent(null));
  }, [contactId]);

  useEffect(() => {
    void loadContact();
  }, [loadContact, versions.detail]);

  // Opening a conversation, and any new message while it is open, marks it read for this agent.
  const unread = conversation?.unread ?? 0;
  useEffect(() => {
    if (unread > 0 && document.visibilityState === 'visible') api.markRead(id).catch(() => undefined);
  }, [id, unread]);

  const loadEarlier = async () => {
    const cursor = earlier ? earlier.cursor : latestCursor;
    if (!contactId || !cursor) return;
    try {
      const page = await api.timeline(contactId, cursor);
      setEarlier((e) => ({ entries: [...page.data, ...(e?.entries ?? [])], cursor: page.nextCursor }));
    } catch {
      // The button stays; the agent can try again.
    }
  };
  const moreCursor = earlier ? earlier.cursor : latestCursor;
  const allEntries = timeline === null ? null : earlier ? [...earlier.entries.filter((e) => !timeline.some((t) => t.id === e.id)), ...timeline] : timeline;

  const act = async (run: () => Promise<Conversation>) => {
    setActionError(null);
    try {
      const updated = await run();
      if (updated && typeof updated === 'object' && 'id' in updated) {
        setConversation((c) => (c ? { ...c, ...updated } : updated));
        onChanged(updated);
      } else {
        setConversation(await api.conversation(id));
      }
    } catch (error) {
      setActionError(error instanceof ApiError ? error.message : 'That did not work. Try again.');
    }
  };

  if (loadError)
    return (
      <main className="pane conversation-pane" aria-label="Conversation">
        <div className="pane-header">
          <button type="button" className="ghost back" onClick={onBack} aria-label="Back to the list">
            <BackIcon />
          </button>
        </div>
        <p className="load-error" role="alert">
          {loadError}
        </p>
      </main>
    );
  if (!conversation)
    return (
      <main className="pane conversation-pane" aria-label="Conversation" aria-busy="true">
        <p className="list-status" role="status">
          Loading…
        </p>
      </main>
    );

  const name = contactLabel(conversation.contact);
  const countdown = conversation.window.open ? closesIn(conversation.window.closesAt, now) : null;
  const windowOpen = conversation.window.open && (conversation.window.closesAt === null || countdown !== null);
  const consentWord = marketingConsent(consent, conversation.phoneNumberId);
  const assignees = users.some((u) => u.id === conversation.assignee?.id) || !conversation.assignee ? users : [...users, { ...conversation.assignee, email: '', role: 'agent', online: false }];

  return (
    <>
      <main className="pane conversation-pane" aria-label={`Conversation with ${name}`}>
        <div className="pane-header conversation-header">
          <button type="button" className="ghost back" onClick={onBack} aria-label="Back to the list">
            <BackIcon />
          </button>
          <div className="who">
            <h1 className="contact-name">{name}</h1>
            <div className="who-meta">
              <span>{conversation.contact.phone}</span>
              <span className={`window-badge ${windowOpen ? 'open' : 'closed'}`} data-testid="window-badge">
                {windowOpen ? `Window open · ${countdown ?? ''}` : '24-hour window closed'}
              </span>
              {consentWord && (
                <span className={`consent-badge ${consentWord.status}`} data-testid="consent-badge">
                  {CONSENT_LABEL[consentWord.status]}
                </span>
              )}
            </div>
          </div>
          <div className="header-actions">
            <label className="field-inline">
              <span>Assignee</span>
              <select
                aria-label="Assignee"
                title="Assignee"
                value={conversation.assignee?.id ?? ''}
                onChange={(e) => act(() => api.assign(conversation.id, e.target.value || null))}
              >
                <option value="">Unassigned</option>
                {assignees.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name}
                    {u.id === session.user.id ? ' (me)' : ''}
                    {u.online ? ' · online' : ''}
                  </option>
                ))}
              </select>
            </label>
            {conversation.assignee?.id !== session.user.id && (
              <button type="button" className="assign-me" onClick={() => act(() => api.assign(conversation.id, session.user.id))}>
                Assign to me
              </button>
            )}
            <label className="field-inline">
              <span>State</span>
              <select
                aria-label="State"
                title="State"
                value={conversation.state}
                onChange={(e) => act(() => api.setState(conversation.id, e.target.value as ConversationState))}
              >
                {STATES.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.label}
                  </option>
                ))}
              </select>
            </label>
            {conversation.state !== 'resolved' ? (
              <button type="button" className="primary" onClick={() => act(() => api.setState(conversation.id, 'resolved'))}>
                Resolve
              </button>
            ) : (
              <button type="button" onClick={() => act(() => api.setState(conversation.id, 'open'))}>
                Reopen
              </button>
            )}
            <button type="button" className="ghost panel-toggle" aria-expanded={panelOpen} aria-controls="contact-panel" onClick={() => setPanelOpen((o) => !o)}>
              Contact
            </button>
          </div>
        </div>
        {actionError && (
          <p className="action-error" role="alert">
            {actionError}
          </p>
        )}
        <Timeline entries={allEntries} notes={notes} contactName={name} now={now} hasEarlier={moreCursor !== null} onLoadEarlier={loadEarlier} />
        <div className="typing-line" aria-live="polite">
          {typing ? `${typing.name} is typing…` : ''}
        </div>
        <Composer
          conversation={conversation}
          contact={contact}
          windowOpen={windowOpen}
          countdown={countdown}
          quickReplies={quickReplies}
          onSent={() => void loadTimeline()}
          onNoteAdded={(note) => setNotes((list) => (list.some((n) => n.id === note.id) ? list : [...list, note]))}
        />
      </main>
      <ContactPanel
        open={panelOpen}
        onClose={closePanel}
        conversation={conversation}
        contact={contact}
        consent={consent}
        users={users}
        onContactChanged={setContact}
      />
    </>
  );
}
