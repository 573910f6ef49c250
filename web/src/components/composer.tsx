import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { api, ApiError } from '../api/client';
import type { ContactDetail, Conversation, Note, QuickReply } from '../api/types';
import { apiErrorSentence } from '../lib/meta-errors';
import { PaperclipIcon } from './icons';
import { TemplatePicker } from './template-picker';

type Props = {
  conversation: Conversation;
  contact: ContactDetail | null;
  windowOpen: boolean;
  countdown: string | null;
  quickReplies: QuickReply[];
  onSent: () => void;
  onNoteAdded: (note: Note) => void;
};

type Mode = 'reply' | 'note';

const TYPING_EVERY_MS = 3_000;

export function Composer({ conversation, contact, windowOpen, countdown, quickReplies, onSent, onNoteAdded }: Props) {
  const [mode, setMode] = useState<Mode>('reply');
  const [text, setText] = useState('');
  const [note, setNote] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [useTemplate, setUseTemplate] = useState(!windowOpen);
  const [pick, setPick] = useState(0);
  const lastTyping = useRef(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const textArea = useRef<HTMLTextAreaElement>(null);

  // The window closing while the conversation is open switches to templates by itself, and the
  // customer writing again (the window reopening) switches back to free-form text.
  const wasOpen = useRef(windowOpen);
  useEffect(() => {
    if (!windowOpen) setUseTemplate(true);
    else if (!wasOpen.current) setUseTemplate(false);
    wasOpen.current = windowOpen;
  }, [windowOpen]);

  const slash = mode === 'reply' && /^\/\S*$/.test(text) ? text.slice(1).toLowerCase() : null;
  const matches = slash === null ? [] : quickReplies.filter((q) => q.shortcut.toLowerCase().includes(slash) || q.text.toLowerCase().includes(slash)).slice(0, 8);
  const showQuick = slash !== null && matches.length > 0;
  const pickIndex = Math.min(pick, Math.max(0, matches.length - 1));

  const insertQuick = (reply: QuickReply) => {
    setText(reply.text);
    setPick(0);
    textArea.current?.focus();
  };

  const signalTyping = () => {
    const now = Date.now();
    if (now - lastTyping.current < TYPING_EVERY_MS) return;
    lastTyping.current = now;
    api.typing(conversation.id).catch(() => undefined);
  };

  const send = async () => {
    if (busy) return;
    const body = text.trim();
    if (!body && !file) return;
    setBusy(true);
    setError(null);
    try {
      const target = { contactId: conversation.contact.id, from: conversation.phoneNumberId };
      if (file) {
        const uploaded = await api.upload(file, conversation.phoneNumberId);
        const kind = ['image', 'video', 'audio', 'document', 'sticker'].includes(uploaded.kind) ? uploaded.kind : 'document';
        const media: Record<string, unknown> = { id: uploaded.id };
        if (body && kind !== 'audio' && kind !== 'sticker') media.caption = body;
        if (kind === 'document') media.filename = file.name;
        await api.send({ ...target, type: kind, [kind]: media });
        if (body && (kind === 'audio' || kind === 'sticker')) await api.send({ ...target, type: 'text', text: { body } });
      } else {
        await api.send({ ...target, type: 'text', text: { body } });
      }
      setText('');
      setFile(null);
      if (fileInput.current) fileInput.current.value = '';
      onSent();
    } catch (e) {
      if (e instanceof ApiError) {
        setError(apiErrorSentence(e.code, e.message));
        if (e.code === 'WINDOW_CLOSED') setUseTemplate(true);
      } else setError('The message could not be sent.');
    } finally {
      setBusy(false);
    }
  };

  const addNote = async () => {
    const body = note.trim();
    if (!body || busy) return;
    setBusy(true);
    setError(null);
    try {
      const created = await api.addNote(conversation.id, body);
      setNote('');
      if (created && typeof created === 'object' && 'id' in created) onNoteAdded(created);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'The note could not be saved.');
    } finally {
      setBusy(false);
    }
  };

  const onReplyKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (showQuick) {
      if (event.key === 'ArrowDown') setPick((pickIndex + 1) % matches.length);
      else if (event.key === 'ArrowUp') setPick((pickIndex - 1 + matches.length) % matches.length);
      else if (event.key === 'Enter' || event.key === 'Tab') insertQuick(matches[pickIndex]!);
      else if (event.key === 'Escape') setText('');
      else return;
      event.preventDefault();
      return;
    }
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void send();
    }
  };

  const onNoteKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void addNote();
    }
  };

  return (
    <section className={`composer ${mode}`} aria-label="Composer">
      <div className="composer-tabs" role="tablist" aria-label="Reply or note">
        <button type="button" role="tab" id="tab-reply" aria-selected={mode === 'reply'} aria-controls="panel-reply" onClick={() => setMode('reply')}>
          Reply
        </button>
        <button type="button" role="tab" id="tab-note" aria-selected={mode === 'note'} aria-controls="panel-note" onClick={() => setMode('note')}>
          Internal note
        </button>
        <span className="spacer" />
        {mode === 'reply' && (
          <span className={`countdown ${windowOpen ? 'open' : 'closed'}`} data-testid="countdown">
            {windowOpen ? `Window ${countdown ?? 'open'}` : 'Window closed: templates only'}
          </span>
        )}
      </div>

      {error && (
        <p className="composer-error" role="alert">
          {error}
        </p>
      )}

      {mode === 'note' ? (
        <div id="panel-note" role="tabpanel" aria-labelledby="tab-note" className="note-panel">
          <label htmlFor="note-input" className="note-hint">
            Internal note — customers never see this
          </label>
          <textarea id="note-input" rows={3} value={note} placeholder="Write a note for your team…" onChange={(e) => setNote(e.target.value)} onKeyDown={onNoteKey} />
          <div className="composer-actions">
            <span className="hint">Ctrl+Enter to add</span>
            <button type="button" className="note-button" disabled={busy || !note.trim()} onClick={addNote}>
              Add note
            </button>
          </div>
        </div>
      ) : useTemplate ? (
        <div id="panel-reply" role="tabpanel" aria-labelledby="tab-reply">
          {!windowOpen && (
            <p className="window-closed-note">
              The customer last wrote more than 24 hours ago. WhatsApp only allows an approved template until they write again.
            </p>
          )}
          <TemplatePicker
            conversation={conversation}
            contact={contact}
            onSent={() => {
              setError(null);
              onSent();
            }}
          />
          {windowOpen && (
            <button type="button" className="link-button" onClick={() => setUseTemplate(false)}>
              Back to a free-form reply
            </button>
          )}
        </div>
      ) : (
        <div id="panel-reply" role="tabpanel" aria-labelledby="tab-reply" className="reply-panel">
          <div className="reply-input">
            <label htmlFor="reply-input" className="visually-hidden">
              Reply to the customer
            </label>
            <textarea
              id="reply-input"
              ref={textArea}
              rows={3}
              value={text}
              placeholder="Type a reply… ( / for quick replies, Ctrl+Enter to send)"
              onChange={(e) => {
                setText(e.target.value);
                setPick(0);
                signalTyping();
              }}
              onKeyDown={onReplyKey}
              aria-autocomplete="list"
              aria-controls={showQuick ? 'quick-replies' : undefined}
              aria-expanded={showQuick}
              aria-activedescendant={showQuick ? `quick-${matches[pickIndex]?.id}` : undefined}
              role="combobox"
            />
            {showQuick && (
              <ul id="quick-replies" className="quick-replies" role="listbox" aria-label="Quick replies">
                {matches.map((q, i) => (
                  <li
                    key={q.id}
                    id={`quick-${q.id}`}
                    role="option"
                    aria-selected={i === pickIndex}
                    className={i === pickIndex ? 'active' : ''}
                    onMouseDown={(e) => {
                      e.preventDefault();
                      insertQuick(q);
                    }}
                  >
                    <span className="shortcut">/{q.shortcut}</span>
                    <span className="quick-text">{q.text}</span>
                  </li>
                ))}
              </ul>
            )}
          </div>
          {file && (
            <p className="attachment">
              <PaperclipIcon /> {file.name} ({Math.ceil(file.size / 1024)} KB)
              <button type="button" className="link-button" onClick={() => {
                setFile(null);
                if (fileInput.current) fileInput.current.value = '';
              }}>
                Remove
              </button>
            </p>
          )}
          <div className="composer-actions">
            <label className="attach-button">
              <input
                ref={fileInput}
                type="file"
                className="visually-hidden"
                aria-label="Attach a file"
                onChange={(e) => setFile(e.target.files?.[0] ?? null)}
              />
              <PaperclipIcon />
              <span aria-hidden="true">Attach</span>
            </label>
            <button type="button" className="link-button" onClick={() => setUseTemplate(true)}>
              Use a template
            </button>
            <span className="spacer" />
            <button type="button" className="primary" disabled={busy || (!text.trim() && !file)} onClick={send}>
              {busy ? 'Sending…' : 'Send'}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
