import { Fragment, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { mediaUrl } from '../api/client';
import type { Instant, MediaRef, Note, Referral, TimelineEntry } from '../api/types';
import { failureReason } from '../lib/meta-errors';
import { clockTime, dayLabel, toIso, toMs } from '../lib/time';
import { DocumentIcon } from './icons';

type Item = { kind: 'entry'; at: Instant; entry: TimelineEntry } | { kind: 'note'; at: Instant; note: Note };

export function Ticks({ status }: { status: string | null }) {
  switch (status) {
    case 'sent':
      return (
        <span className="ticks sent" role="img" aria-label="Sent" title="Sent">
          ✓
        </span>
      );
    case 'delivered':
      return (
        <span className="ticks delivered" role="img" aria-label="Delivered" title="Delivered">
          ✓✓
        </span>
      );
    case 'read':
    case 'played':
      return (
        <span className="ticks read" role="img" aria-label="Read" title={status === 'played' ? 'Played' : 'Read'}>
          ✓✓
        </span>
      );
    case 'failed':
      return (
        <span className="ticks failed" role="img" aria-label="Failed" title="Failed">
          !
        </span>
      );
    default:
      return (
        <span className="ticks pending" role="img" aria-label="Sending" title="Sending">
          ◷
        </span>
      );
  }
}

/** The hub downloads a customer's media after the message arrives (409 until then): the preview retries a few times. */
function useRetryingUrl(base: string): [string, () => void] {
  const [attempt, setAttempt] = useState(0);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const onError = () => {
    if (attempt >= 8) return;
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setAttempt((n) => n + 1), 750 * (attempt + 1));
  };
  return [attempt === 0 ? base : `${base}?attempt=${attempt}`, onError];
}

/** Inbound media come as `media`; a message we sent carries its media in the Graph message it was sent as. */
function mediaOf(entry: TimelineEntry): MediaRef | null {
  if (entry.media?.id) return entry.media;
  const sent = (entry.content as Record<string, unknown> | null)?.[entry.type] as { id?: unknown; caption?: unknown; filename?: unknown } | undefined;
  if (!sent || typeof sent.id !== 'string') return null;
  return { id: sent.id, caption: typeof sent.caption === 'string' ? sent.caption : null, filename: typeof sent.filename === 'string' ? sent.filename : null };
}

function MediaPreview({ entry }: { entry: TimelineEntry }) {
  const media = mediaOf(entry);
  const [url, onError] = useRetryingUrl(media?.id ? mediaUrl(media.id) : '');
  if (!media?.id) return null;
  switch (entry.type) {
    case 'image':
    case 'sticker':
      return (
        <a href={url} target="_blank" rel="noreferrer" className="media-image">
          <img src={url} onError={onError} alt={media.caption || (entry.type === 'sticker' ? 'Sticker' : 'Image from the chat')} loading="lazy" />
        </a>
      );
    case 'video':
      return <video className="media-video" src={url} onError={onError} controls preload="metadata" aria-label={media.caption || 'Video'} />;
    case 'audio':
      return <audio className="media-audio" src={url} onError={onError} controls preload="none" aria-label={media.voice ? 'Voice message' : 'Audio'} />;
    case 'document':
      return (
        <a className="media-document" href={url} download={media.filename ?? true}>
          <span className="doc-icon">
            <DocumentIcon />
          </span>
          <span>
            <span className="doc-name">{media.filename || 'Document'}</span>
            <span className="doc-meta">{media.mimeType ?? 'file'} · Download</span>
          </span>
        </a>
      );
    default:
      return null;
  }
}

function ReferralCard({ referral }: { referral: Referral }) {
  const image = referral.thumbnailUrl || referral.imageUrl;
  return (
    <div className="referral-card" aria-label="Click-to-WhatsApp ad">
      <span className="referral-kicker">From an ad{referral.sourceType ? ` (${referral.sourceType})` : ''}</span>
      <div className="referral-body">
        {image && <img src={image} alt="" />}
        <div>
          {referral.headline && <strong>{referral.headline}</strong>}
          {referral.body && <p>{referral.body}</p>}
          {referral.sourceUrl && (
            <a href={referral.sourceUrl} target="_blank" rel="noreferrer">
              Open the ad
            </a>
          )}
        </div>
      </div>
    </div>
  );
}

function contentText(entry: TimelineEntry): string | null {
  const c = entry.content as Record<string, unknown> | null;
  if (!c || typeof c !== 'object') return null;
  switch (c.type) {
    case 'location':
      return `Location: ${[c.name, c.address].filter(Boolean).join(', ') || `${c.latitude}, ${c.longitude}`}`;
    case 'button_reply':
    case 'list_reply':
      return `Tapped “${String(c.title)}”`;
    case 'quick_reply':
      return `Tapped “${String(c.text)}”`;
    case 'contacts':
      return `Shared a contact: ${(c.contacts as { formattedName?: string }[]).map((x) => x.formattedName).filter(Boolean).join(', ')}`;
    case 'order':
      return `Placed an order (${(c.items as unknown[]).length} items)`;
    case 'system':
      return String(c.body ?? 'System message');
    case 'unsupported':
      return 'A message type WhatsApp does not support here';
    default:
      return null;
  }
}

function templateName(entry: TimelineEntry): string | null {
  const c = entry.content as { template?: { name?: string } } | null;
  return entry.type === 'template' ? (c?.template?.name ?? 'template') : null;
}

function Bubble({ entry, byWamid }: { entry: TimelineEntry; byWamid: Map<string, TimelineEntry> }) {
  const quotedWamid = entry.context?.quotedWamid;
  const quoted = quotedWamid ? byWamid.get(quotedWamid) : undefined;
  const text = entry.text ?? (mediaOf(entry) ? null : contentText(entry));
  const template = templateName(entry);
  return (
    <div className={`bubble-row ${entry.direction}`} data-entry-id={entry.id} data-status={entry.status ?? ''}>
      <div className={`bubble ${entry.direction} ${entry.status === 'failed' ? 'failed' : ''}`}>
        {entry.referral && <ReferralCard referral={entry.referral} />}
        {quotedWamid && (
          <blockquote className="quoted" aria-label="Replying to">
            <span className="quoted-who">{quoted ? (quoted.direction === 'outbound' ? 'You' : 'Customer') : 'Earlier message'}</span>
            <span className="quoted-text">{quoted ? (quoted.text ?? `[${quoted.type}]`) : 'A message that is not loaded'}</span>
          </blockquote>
        )}
        {entry.context?.forwarded && <span className="forwarded">{entry.context.frequentlyForwarded ? '↪↪ Forwarded many times' : '↪ Forwarded'}</span>}
        {template && <span className="template-label">Template · {template}</span>}
        <MediaPreview entry={entry} />
        {text && <p className="bubble-text">{text}</p>}
        <span className="bubble-meta">
          <time dateTime={entry.timestamp}>{clockTime(entry.timestamp)}</time>
          {entry.direction === 'outbound' && <Ticks status={entry.status} />}
        </span>
        {entry.reactions.length > 0 && (
          <span className="reactions" aria-label={`Reactions: ${entry.reactions.map((r) => r.emoji).join(' ')}`}>
            {entry.reactions.map((r, i) => (
              <span key={i}>{r.emoji}</span>
            ))}
          </span>
        )}
      </div>
      {entry.status === 'failed' && (
        <p className="failure" role="note">
          Not delivered: {failureReason(entry.error)}
        </p>
      )}
    </div>
  );
}

type TimelineProps = { entries: TimelineEntry[] | null; notes: Note[]; contactName: string; now: number; hasEarlier: boolean; onLoadEarlier: () => void };

export function Timeline({ entries, notes, contactName, now, hasEarlier, onLoadEarlier }: TimelineProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  const items: Item[] = [
    ...(entries ?? []).map((entry) => ({ kind: 'entry' as const, at: entry.timestamp, entry })),
    ...notes.map((note) => ({ kind: 'note' as const, at: note.createdAt, note })),
  ].sort((a, b) => toMs(a.at) - toMs(b.at));
  const byWamid = new Map((entries ?? []).flatMap((e) => (e.wamid ? [[e.wamid, e] as const] : [])));
  const last = items[items.length - 1];
  const lastKey = last ? `${items.length}:${last.kind === 'entry' ? last.entry.id + last.entry.status : last.note.id}` : '';

  // Follows new messages while the agent is at the bottom; leaves them alone when they scrolled up to read.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lastKey]);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const onScroll = () => (stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80);
    // A photo that finishes loading grows the log: stay at the bottom if the agent was there.
    // (load does not bubble, but it does pass the capture phase of its ancestors.)
    const onLoad = () => {
      if (stick.current) el.scrollTop = el.scrollHeight;
    };
    el.addEventListener('scroll', onScroll);
    el.addEventListener('load', onLoad, true);
    return () => {
      el.removeEventListener('scroll', onScroll);
      el.removeEventListener('load', onLoad, true);
    };
  }, []);

  if (entries === null)
    return (
      <div className="timeline" ref={scroller}>
        <p className="list-status" role="status">
          Loading messages…
        </p>
      </div>
    );

  let previousDay = '';
  return (
    <div className="timeline" ref={scroller} role="log" aria-live="polite" aria-relevant="additions" aria-label={`Messages with ${contactName}`} tabIndex={0}>
      {hasEarlier && (
        <button type="button" className="load-earlier" onClick={onLoadEarlier}>
          Load earlier messages
        </button>
      )}
      {items.length === 0 && <p className="list-status">No messages yet.</p>}
      {items.map((item) => {
        const day = dayLabel(item.at, now);
        const separator = day !== previousDay;
        previousDay = day;
        return (
          <Fragment key={item.kind === 'entry' ? item.entry.id : `note-${item.note.id}`}>
            {separator && (
              <div className="day-separator" role="separator">
                <span>{day}</span>
              </div>
            )}
            {item.kind === 'entry' ? (
              <Bubble entry={item.entry} byWamid={byWamid} />
            ) : (
              <div className="note-row" data-note-id={item.note.id}>
                <div className="note">
                  <span className="note-label">Internal note · {item.note.author.name}</span>
                  <p className="bubble-text">{item.note.body}</p>
                  <time dateTime={toIso(item.note.createdAt)}>{clockTime(item.note.createdAt)}</time>
                </div>
              </div>
            )}
          </Fragment>
        );
      })}
    </div>
  );
}
