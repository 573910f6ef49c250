import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, type ConversationFilters } from '../api/client';
import type { Conversation, InboxEvent, QuickReply, Session, TeamMember, View } from '../api/types';
import { navigate } from '../lib/router';
import { useInboxEvents } from '../lib/use-events';
import { ConversationList } from './conversation-list';
import { ConversationView } from './conversation-view';
import { Filters } from './filters';
import { TopBar } from './top-bar';

export type Typing = Record<string, { name: string; until: number }>;

/** Counters that, when bumped, make the open conversation refetch one of its parts. */
export type Versions = { detail: number; timeline: number; notes: number };

const VIEWS: { id: View; label: string }[] = [
  { id: 'mine', label: 'Mine' },
  { id: 'unassigned', label: 'Unassigned' },
  { id: 'all', label: 'All' },
];

function conversationIdOf(path: string): string | null {
  const match = /^\/inbox\/([^/]+)/.exec(path);
  return match ? decodeURIComponent(match[1]!) : null;
}

function initialFilters(): ConversationFilters {
  const params = new URLSearchParams(window.location.search);
  const view = params.get('view');
  return {
    view: view === 'mine' || view === 'unassigned' || view === 'all' ? view : 'mine',
    state: params.get('state') ?? 'open',
    phoneNumberId: params.get('number') ?? '',
    tag: params.get('tag') ?? '',
    q: params.get('q') ?? '',
  };
}

export function InboxPage({ session, path, onLogout }: { session: Session; path: string; onLogout: () => void }) {
  const selectedId = conversationIdOf(path);
  const [filters, setFilters] = useState<ConversationFilters>(initialFilters);
  const [search, setSearch] = useState(filters.q ?? '');
  const [items, setItems] = useState<Conversation[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [listState, setListState] = useState<'loading' | 'ready' | 'error'>('loading');
  const [listError, setListError] = useState<string | null>(null);
  const [users, setUsers] = useState<TeamMember[]>([]);
  const [quickReplies, setQuickReplies] = useState<QuickReply[]>([]);
  const [typing, setTyping] = useState<Typing>({});
  const [versions, setVersions] = useState<Versions>({ detail: 0, timeline: 0, notes: 0 });
  const [counts, setCounts] = useState<Partial<Record<View, number>>>({});
  const [numbers, setNumbers] = useState<{ id: string; label: string }[]>([]);
  const [alert, setAlert] = useState<{ conversationId: string; reason: string } | null>(null);
  const listAbort = useRef<AbortController | null>(null);
  const refreshTimer = useRef<number | undefined>(undefined);
  const selectedRef = useRef(selectedId);
  selectedRef.current = selectedId;

  // Search is sent a moment after typing stops, not on every key.
  useEffect(() => {
    const timer = window.setTimeout(() => setFilters((f) => (f.q === search ? f : { ...f, q: search })), 250);
    return () => window.clearTimeout(timer);
  }, [search]);

  const loadList = useCallback(async () => {
    listAbort.current?.abort();
    const controller = new AbortController();
    listAbort.current = controller;
    try {
      const page = await api.conversations(filters, null, controller.signal);
      if (controller.signal.aborted) return;
      setItems(page.items);
      setNext(page.next);
      setListState('ready');
      setListError(null);
    } catch (error) {
      if ((error as Error).name === 'AbortError') return;
      setListState('error');
      setListError(error instanceof ApiError ? error.message : 'The conversations could not be loaded.');
    }
  }, [filters]);

  const loadCounts = useCallback(async () => {
    // Unread totals per view for the tabs; a failure only hides the numbers.
    const entries = await Promise.all(
      VIEWS.map(async ({ id }) => {
        try {
          const page = await api.conversations({ view: id, state: 'open' }, null);
          return [id, page.items.filter((c) => c.unread > 0).length] as const;
        } catch {
          return [id, undefined] as const;
        }
      }),
    );
    setCounts(Object.fromEntries(entries));
  }, []);

  useEffect(() => {
    setListState('loading');
    void loadList();
    const params = new URLSearchParams();
    params.set('view', filters.view);
    if (filters.state !== 'open') params.set('state', filters.state ?? '');
    if (filters.phoneNumberId) params.set('number', filters.phoneNumberId);
    if (filters.tag) params.set('tag', filters.tag);
    if (filters.q) params.set('q', filters.q);
    window.history.replaceState(null, '', `${window.location.pathname}?${params.toString()}`);
  }, [loadList, filters]);

  useEffect(() => {
    void loadCounts();
  }, [loadCounts]);

  // The tab's title says when something waits, even while the agent works in another tab.
  const waiting = counts.mine ?? 0;
  useEffect(() => {
    document.title = waiting > 0 ? `(${waiting}) Switchboard inbox` : 'Switchboard inbox';
  }, [waiting]);

  const loadUsers = useCallback(() => {
    api.users().then((r) => setUsers(r.items), () => undefined);
  }, []);

  useEffect(() => {
    loadUsers();
    api.quickReplies().then((r) => setQuickReplies(r.items), () => setQuickReplies([]));
    api.numbers().then(
      (r) => setNumbers(r.items.map((n) => ({ id: n.phoneNumberId, label: n.displayPhoneNumber ?? n.phoneNumberId }))),
      () => setNumbers([]),
    );
    // Who is online changes without an event of its own.
    const timer = window.setInterval(loadUsers, 60_000);
    return () => window.clearInterval(timer);
  }, [loadUsers]);

  /** Many events arrive together (a message, then its statuses): one refetch serves them all. */
  const scheduleRefresh = useCallback(() => {
    window.clearTimeout(refreshTimer.current);
    refreshTimer.current = window.setTimeout(() => {
      void loadList();
      void loadCounts();
    }, 150);
  }, [loadList, loadCounts]);

  const bump = useCallback((...parts: (keyof Versions)[]) => {
    setVersions((v) => {
      const copy = { ...v };
      for (const part of parts) copy[part] += 1;
      return copy;
    });
  }, []);

  const onEvent = useCallback(
    (event: InboxEvent) => {
      const selected = selectedRef.current;
      switch (event.type) {
        case 'message':
          scheduleRefresh();
          if (event.data.conversationId === selected) bump('timeline', 'detail');
          if (event.data.direction === 'inbound')
            setTyping((t) => {
              const { [event.data.conversationId]: _gone, ...rest } = t;
              return rest;
            });
          break;
        case 'status':
          if (event.data.conversationId === selected) bump('timeline');
          break;
        case 'conversation': {
          const updated = event.data.conversation;
          // Shown at once where it is listed; the refetch then settles which view it belongs to.
          setItems((list) => list.map((c) => (c.id === updated.id ? { ...c, ...updated } : c)));
          scheduleRefresh();
          if (updated.id === selected) bump('detail');
          break;
        }
        case 'note':
          if (event.data.conversationId === selected) bump('notes');
          break;
        case 'typing':
          if (event.data.userId !== session.user.id) {
            setTyping((t) => ({ ...t, [event.data.conversationId]: { name: event.data.name, until: Date.now() + 6_000 } }));
          }
          break;
        case 'alert':
          if (event.data.userId === null || event.data.userId === session.user.id) {
            setAlert({ conversationId: event.data.conversationId, reason: event.data.reason });
          }
          scheduleRefresh();
          break;
        case 'resync':
          // The server could not replay what this page missed: everything is fetched again.
          scheduleRefresh();
          bump('detail', 'timeline', 'notes');
          break;
      }
    },
    [bump, scheduleRefresh, session.user.id],
  );

  const connection = useInboxEvents(true, onEvent, () => {
    scheduleRefresh();
    bump('detail', 'timeline', 'notes');
  });

  // Typing indicators fade on their own.
  useEffect(() => {
    if (Object.keys(typing).length === 0) return;
    const timer = window.setTimeout(() => {
      const now = Date.now();
      setTyping((t) => Object.fromEntries(Object.entries(t).filter(([, v]) => v.until > now)));
    }, 1_000);
    return () => window.clearTimeout(timer);
  }, [typing]);

  const loadMore = async () => {
    if (!next) return;
    try {
      const page = await api.conversations(filters, next);
      setItems((list) => [...list, ...page.items.filter((c) => !list.some((l) => l.id === c.id))]);
      setNext(page.next);
    } catch (error) {
      setListError(error instanceof ApiError ? error.message : 'More conversations could not be loaded.');
    }
  };

  const open = (id: string) => navigate(`/inbox/${encodeURIComponent(id)}${window.location.search}`);
  const back = () => navigate(`/inbox${window.location.search}`);

  const tags = useMemo(() => [...new Set(items.flatMap((c) => c.contact.tags ?? []))].sort(), [items]);

  const onConversationChanged = useCallback(
    (conversation: Conversation) => {
      setItems((list) => list.map((c) => (c.id === conversation.id ? { ...c, ...conversation } : c)));
      scheduleRefresh();
    },
    [scheduleRefresh],
  );

  return (
    <div className={`inbox ${selectedId ? 'has-selection' : ''}`}>
      <TopBar session={session} connection={connection} onLogout={onLogout} />
      <aside className="pane list-pane" aria-label="Conversations">
        <nav className="views" aria-label="Views">
          {VIEWS.map((v) => (
            <button
              key={v.id}
              type="button"
              className={`view-tab ${filters.view === v.id ? 'active' : ''}`}
              aria-pressed={filters.view === v.id}
              onClick={() => setFilters((f) => ({ ...f, view: v.id }))}
            >
              {v.label}
              {counts[v.id] ? (
                <span className="count" aria-label={`${counts[v.id]} with unread messages`}>
                  {counts[v.id]}
                </span>
              ) : null}
            </button>
          ))}
        </nav>
        {alert && (
          <div className="alert-banner" role="alert">
            <span>{alert.reason}</span>
            <button type="button" className="link-button" onClick={() => {
              open(alert.conversationId);
              setAlert(null);
            }}>
              Open
            </button>
            <button type="button" className="ghost" aria-label="Dismiss" onClick={() => setAlert(null)}>
              ✕
            </button>
          </div>
        )}
        <Filters filters={filters} search={search} numbers={numbers} tags={tags} onSearch={setSearch} onChange={(patch) => setFilters((f) => ({ ...f, ...patch }))} />
        <ConversationList
          items={items}
          state={listState}
          error={listError}
          selectedId={selectedId}
          typing={typing}
          hasMore={next !== null}
          onOpen={open}
          onLoadMore={loadMore}
          view={filters.view}
        />
      </aside>
      {selectedId ? (
        <ConversationView
          key={selectedId}
          id={selectedId}
          session={session}
          users={users}
          quickReplies={quickReplies}
          versions={versions}
          typing={typing[selectedId] ?? null}
          onBack={back}
          onChanged={onConversationChanged}
        />
      ) : (
        <main className="pane empty-pane" aria-label="No conversation open">
          <div className="empty-state">
            <p className="empty-title">Pick a conversation</p>
            <p>Use ↑ and ↓ in the list and Enter to open one.</p>
          </div>
        </main>
      )}
    </div>
  );
}
