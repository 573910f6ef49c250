import { useEffect, useRef, type KeyboardEvent } from 'react';
import type { Conversation, View } from '../api/types';
import { shortTime, toIso } from '../lib/time';
import { useNow } from '../lib/use-now';
import type { Typing } from './inbox-page';
import { initials } from './top-bar';

type Props = {
  items: Conversation[];
  state: 'loading' | 'ready' | 'error';
  error: string | null;
  selectedId: string | null;
  typing: Typing;
  hasMore: boolean;
  view: View;
  onOpen: (id: string) => void;
  onLoadMore: () => void;
};

const EMPTY: Record<View, string> = {
  mine: 'Nothing assigned to you here. Look in Unassigned to pick up a conversation.',
  unassigned: 'Every conversation here has an owner.',
  all: 'No conversations match.',
};

export function contactLabel(c: Conversation['contact']): string {
  return c.name || c.profileName || c.phone || 'Unknown contact';
}

function preview(c: Conversation): string {
  const m = c.lastMessage;
  if (!m) return 'No messages yet';
  const text = m.text || `[${m.type}]`;
  return m.direction === 'outbound' ? `You: ${text}` : text;
}

export function ConversationList({ items, state, error, selectedId, typing, hasMore, view, onOpen, onLoadMore }: Props) {
  const now = useNow(60_000);
  const listRef = useRef<HTMLUListElement>(null);
  const selectedIndex = items.findIndex((c) => c.id === selectedId);
  const focusIndex = useRef(Math.max(0, selectedIndex));
  if (focusIndex.current >= items.length) focusIndex.current = Math.max(0, items.length - 1);

  useEffect(() => {
    if (selectedIndex >= 0) focusIndex.current = selectedIndex;
  }, [selectedIndex]);

  const focusAt = (index: number) => {
    const options = listRef.current?.querySelectorAll<HTMLElement>('[role="option"]');
    if (!options || options.length === 0) return;
    const clamped = Math.max(0, Math.min(options.length - 1, index));
    focusIndex.current = clamped;
    options.forEach((el, i) => (el.tabIndex = i === clamped ? 0 : -1));
    options[clamped]?.focus();
  };

  // ↑/↓ move, Home/End jump, Enter or Space opens: the listbox pattern, with focus on the options.
  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    const current = focusIndex.current;
    if (event.key === 'ArrowDown') focusAt(current + 1);
    else if (event.key === 'ArrowUp') focusAt(current - 1);
    else if (event.key === 'Home') focusAt(0);
    else if (event.key === 'End') focusAt(items.length - 1);
    else if (event.key === 'Enter' || event.key === ' ') {
      const item = items[current];
      if (item) onOpen(item.id);
    } else return;
    event.preventDefault();
  };

  if (state === 'loading' && items.length === 0) return <p className="list-status" role="status">Loading conversations…</p>;
  if (state === 'error' && items.length === 0)
    return (
      <p className="list-status error" role="alert">
        {error}
      </p>
    );
  if (items.length === 0) return <p className="list-status">{EMPTY[view]}</p>;

  return (
    <>
      {error && (
        <p className="list-status error" role="alert">
          {error}
        </p>
      )}
      <ul className="conversation-list" role="listbox" aria-label="Conversations" ref={listRef} onKeyDown={onKeyDown}>
        {items.map((c, index) => {
          const who = typing[c.id];
          const name = contactLabel(c.contact);
          return (
            <li
              key={c.id}
              role="option"
              aria-selected={c.id === selectedId}
              tabIndex={index === focusIndex.current ? 0 : -1}
              className={`conversation-item ${c.id === selectedId ? 'selected' : ''} ${c.unread > 0 ? 'unread' : ''}`}
              data-conversation-id={c.id}
              onClick={() => {
                focusIndex.current = index;
                onOpen(c.id);
              }}
              onFocus={() => (focusIndex.current = index)}
            >
              <span className="avatar" aria-hidden="true">
                {initials(name)}
              </span>
              <span className="item-main">
                <span className="item-top">
                  <span className="item-name">{name}</span>
                  {c.lastMessage && <time dateTime={toIso(c.lastMessage.at)}>{shortTime(c.lastMessage.at, now)}</time>}
                </span>
                <span className="item-bottom">
                  <span className="item-preview">{who ? <em>{who.name} is typing…</em> : preview(c)}</span>
                  {c.unread > 0 && (
                    <span className="unread-badge" aria-label={`${c.unread} unread`}>
                      {c.unread}
                    </span>
                  )}
                </span>
                <span className="item-meta">
                  <span className={`state-pill ${c.state}`}>{c.state}</span>
                  <span className="item-assignee">{c.assignee ? c.assignee.name : 'Unassigned'}</span>
                  {!c.window.open && <span className="window-closed-pill">window closed</span>}
                  {(c.contact.tags ?? []).slice(0, 2).map((t) => (
                    <span key={t} className="tag">
                      {t}
                    </span>
                  ))}
                </span>
              </span>
            </li>
          );
        })}
      </ul>
      {hasMore && (
        <button type="button" className="load-more" onClick={onLoadMore}>
          Load more conversations
        </button>
      )}
    </>
  );
}
