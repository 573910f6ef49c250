import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client';
import type { Consent, ContactDetail, Conversation, CrmPatch, CrmPerson, TeamMember } from '../api/types';
import { clockTime } from '../lib/time';

type Props = {
  open: boolean;
  onClose: () => void;
  conversation: Conversation;
  contact: ContactDetail | null;
  consent: Consent | null;
  users: TeamMember[];
  onContactChanged: (contact: ContactDetail) => void;
};

const WORD: Record<string, string> = { opted_in: 'Opted in', opted_out: 'Opted out', unknown: 'Not recorded' };
const scalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
const CONNECTORS: Record<string, string> = { hubspot: 'HubSpot', salesforce: 'Salesforce', pipedrive: 'Pipedrive', zoho: 'Zoho CRM' };
const connectorName = (id: string) => CONNECTORS[id] ?? id;
const show = (v: unknown) => (v === null || v === undefined ? '' : String(v));

function FieldEditor({ name, value, editable, onSave }: { name: string; value: unknown; editable: boolean; onSave: (value: string) => Promise<void> }) {
  const [draft, setDraft] = useState(show(value));
  const [state, setState] = useState<'idle' | 'saving' | 'saved' | 'error'>('idle');
  useEffect(() => setDraft(show(value)), [value]);
  if (!editable)
    return (
      <div className="field-row">
        <dt>{name}</dt>
        <dd>{show(value) || '—'}</dd>
      </div>
    );
  const save = async (event?: FormEvent) => {
    event?.preventDefault();
    if (draft === show(value)) return;
    setState('saving');
    try {
      await onSave(draft);
      setState('saved');
    } catch {
      setState('error');
    }
  };
  return (
    <form className="field-row editable" onSubmit={save}>
      <label htmlFor={`field-${name}`}>{name}</label>
      <input id={`field-${name}`} value={draft} onChange={(e) => setDraft(e.target.value)} onBlur={() => void save()} />
      <span className={`save-state ${state}`} aria-live="polite">
        {state === 'saving' ? 'Saving…' : state === 'saved' ? 'Saved' : state === 'error' ? 'Not saved' : ''}
      </span>
    </form>
  );
}

export function ContactPanel({ open, onClose, conversation, contact, consent, users, onContactChanged }: Props) {
  const contactId = conversation.contact.id;
  const [crm, setCrm] = useState<CrmPerson | null>(null);
  const [crmState, setCrmState] = useState<'loading' | 'linked' | 'none' | 'error'>('loading');
  const [newTag, setNewTag] = useState('');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setCrmState('loading');
    api.crmPerson(contactId).then(
      (person) => {
        if (!live) return;
        setCrm(person);
        setCrmState('linked');
      },
      (e: unknown) => {
        if (!live) return;
        setCrm(null);
        setCrmState(e instanceof ApiError && e.status === 404 ? 'none' : 'error');
      },
    );
    return () => {
      live = false;
    };
  }, [contactId]);

  const patchCrm = async (patch: CrmPatch) => {
    setError(null);
    try {
      const updated = await api.updateCrmPerson(contactId, patch);
      setCrm((c) => ({ ...c, ...(updated && typeof updated === 'object' ? updated : {}) }));
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'The CRM record could not be updated.');
      throw e;
    }
  };

  const saveContactField = async (name: string, value: string) => {
    const updated = await api.updateContactFields(contactId, { [name]: value === '' ? null : value });
    onContactChanged(updated);
  };

  // As a drawer (narrow screens), it takes focus when opened and Escape closes it.
  const closeButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    closeButton.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open, onClose]);

  const tags = crm?.tags ?? conversation.contact.tags ?? [];
  const crmFields = Object.entries(crm?.fields ?? {}).filter(([, v]) => scalar(v));
  const editable = new Set(crm?.editableFields ?? crmFields.map(([k]) => k));
  const crmLink = crm?.crm?.url ?? crm?.url ?? null;
  const ownerId = crm?.ownerId ?? crm?.owner?.id ?? '';
  const serviceWindow = contact?.serviceWindows?.find((w) => w.phoneNumberId === conversation.phoneNumberId);

  return (
    <aside id="contact-panel" className={`pane contact-pane ${open ? 'open' : ''}`} aria-label="Contact details">
      <div className="pane-header">
        <h2>Contact</h2>
        <button type="button" ref={closeButton} className="ghost panel-close" onClick={onClose} aria-label="Close the contact panel">
          ✕
        </button>
      </div>
      <div className="contact-scroll">
        <section className="panel-section">
          <h3 className="panel-name">{contact?.name ?? conversation.contact.name ?? conversation.contact.phone}</h3>
          <dl className="facts">
            <div className="field-row">
              <dt>Phone</dt>
              <dd>{contact?.phone ?? conversation.contact.phone ?? '—'}</dd>
            </div>
            {conversation.contact.profileName && (
              <div className="field-row">
                <dt>WhatsApp name</dt>
                <dd>{conversation.contact.profileName}</dd>
              </div>
            )}
            <div className="field-row">
              <dt>Language</dt>
              <dd>{contact?.locale ?? conversation.contact.locale ?? '—'}</dd>
            </div>
            <div className="field-row">
              <dt>Last wrote</dt>
              <dd>{serviceWindow?.lastInboundAt ? new Date(serviceWindow.lastInboundAt).toLocaleString() : '—'}</dd>
            </div>
          </dl>
        </section>

        <section className="panel-section" aria-labelledby="tags-title">
          <h4 id="tags-title">Tags</h4>
          <div className="tag-list">
            {tags.length === 0 && <span className="muted">No tags</span>}
            {tags.map((t) => (
              <span className="tag" key={t}>
                {t}
                {crmState === 'linked' && (
                  <button type="button" className="tag-remove" aria-label={`Remove tag ${t}`} onClick={() => void patchCrm({ removeTags: [t] }).catch(() => undefined)}>
                    ×
                  </button>
                )}
              </span>
            ))}
          </div>
          {crmState === 'linked' && (
            <form
              className="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                const tag = newTag.trim();
                if (!tag || tags.includes(tag)) return;
                void patchCrm({ addTags: [tag] }).then(() => setNewTag(''), () => undefined);
              }}
            >
              <label htmlFor="new-tag" className="visually-hidden">
                Add a tag
              </label>
              <input id="new-tag" placeholder="Add a tag" value={newTag} onChange={(e) => setNewTag(e.target.value)} />
              <button type="submit">Add</button>
            </form>
          )}
        </section>

        <section className="panel-section" aria-labelledby="crm-title">
          <h4 id="crm-title">CRM</h4>
          {error && (
            <p className="composer-error" role="alert">
              {error}
            </p>
          )}
          {crmState === 'loading' && <p className="muted">Loading the CRM record…</p>}
          {crmState === 'error' && <p className="muted">The CRM record could not be loaded.</p>}
          {crmState === 'none' && <p className="muted">Not linked to a CRM record yet.</p>}
          {crmState === 'linked' && crm && (
            <>
              <dl className="facts">
                <div className="field-row editable">
                  <label htmlFor="crm-owner">Owner</label>
                  <select id="crm-owner" value={ownerId} onChange={(e) => void patchCrm({ ownerId: e.target.value || null }).catch(() => undefined)}>
                    <option value="">No owner</option>
                    {users.map((u) => (
                      <option key={u.id} value={u.id}>
                        {u.name}
                      </option>
                    ))}
                    {ownerId && !users.some((u) => u.id === ownerId) && <option value={ownerId}>{crm.owner?.name ?? ownerId}</option>}
                  </select>
                </div>
                {crm.lifecycleStage !== undefined && (
                  <FieldEditor name="Lifecycle stage" value={crm.lifecycleStage} editable onSave={(v) => patchCrm({ lifecycleStage: v || null })} />
                )}
                {crm.email !== undefined && <FieldEditor name="Email" value={crm.email} editable onSave={(v) => patchCrm({ email: v || null })} />}
                {crmFields.map(([k, v]) => (
                  <FieldEditor key={k} name={k} value={v} editable={editable.has(k)} onSave={(value) => patchCrm({ fields: { [k]: value === '' ? null : value } })} />
                ))}
              </dl>
              {(crm.tasks ?? []).length > 0 && (
                <ul className="tasks" aria-label="CRM tasks">
                  {(crm.tasks ?? []).map((t, i) => (
                    <li key={t.id ?? i} className={t.done || t.status === 'done' ? 'done' : ''}>
                      {t.title ?? t.subject ?? 'Task'}
                      {t.dueAt && <span className="muted"> · due {new Date(t.dueAt).toLocaleDateString()}</span>}
                    </li>
                  ))}
                </ul>
              )}
              {crmLink ? (
                <a className="crm-link" href={crmLink} target="_blank" rel="noreferrer">
                  Open the record in {crm.crm?.connector ? connectorName(crm.crm.connector) : 'the CRM'} ↗
                </a>
              ) : (
                <p className="muted">{crm.crm ? `Linked to ${connectorName(crm.crm.connector)} (${crm.crm.crmId}).` : 'Kept in Switchboard’s built-in CRM.'}</p>
              )}
            </>
          )}
        </section>

        {crmState !== 'linked' && (
        <section className="panel-section" aria-labelledby="fields-title">
          <h4 id="fields-title">Custom fields</h4>
          <dl className="facts">
            {contact && Object.keys(contact.fields).length === 0 && <p className="muted">No custom fields.</p>}
            {contact &&
              Object.entries(contact.fields)
                .filter(([, v]) => scalar(v))
                .map(([k, v]) => <FieldEditor key={k} name={k} value={v} editable onSave={(value) => saveContactField(k, value)} />)}
          </dl>
        </section>
        )}

        <section className="panel-section" aria-labelledby="consent-title">
          <h4 id="consent-title">Consent</h4>
          {!consent && <p className="muted">No consent information.</p>}
          {consent && (
            <>
              <dl className="facts consent-facts">
                {Object.entries(consent.state).map(([category, state]) => {
                  const word = state.numbers[conversation.phoneNumberId] ?? state.overall;
                  return (
                    <div className="field-row" key={category}>
                      <dt>{category}</dt>
                      <dd>
                        <span className={`consent-badge ${word.status}`}>{WORD[word.status] ?? word.status}</span>
                      </dd>
                    </div>
                  );
                })}
              </dl>
              <h5>Ledger</h5>
              {consent.ledger.length === 0 ? (
                <p className="muted">No opt-ins or opt-outs recorded.</p>
              ) : (
                <ol className="ledger" aria-label="Consent ledger">
                  {[...consent.ledger]
                    .reverse()
                    .slice(0, 20)
                    .map((l) => (
                      <li key={l.id}>
                        <span className={`ledger-action ${l.action}`}>{l.action === 'opt_in' ? 'Opt-in' : 'Opt-out'}</span> {l.category} · {l.source.replace(/_/g, ' ')}
                        <span className="muted">
                          {' '}
                          · {new Date(l.occurredAt).toLocaleDateString()} {clockTime(l.occurredAt)}
                        </span>
                      </li>
                    ))}
                </ol>
              )}
            </>
          )}
        </section>
      </div>
    </aside>
  );
}
