import { useEffect, useMemo, useState } from 'react';
import { api, ApiError } from '../api/client';
import type { ContactDetail, Conversation, Template, TemplatePreview } from '../api/types';
import { apiErrorSentence } from '../lib/meta-errors';
import { bodyPlaceholders, prefill } from '../lib/placeholders';

let catalogue: Promise<Template[]> | null = null;
/** The catalogue changes rarely: one fetch per page load, shared by every conversation. */
function loadCatalogue(): Promise<Template[]> {
  catalogue ??= api.templates().then(
    (r) => r.data,
    (error: unknown) => {
      catalogue = null;
      throw error;
    },
  );
  return catalogue;
}

const usable = (t: Template) => t.variants.some((v) => v.status === 'APPROVED');

type Props = { conversation: Conversation; contact: ContactDetail | null; onSent: () => void };

export function TemplatePicker({ conversation, contact, onSent }: Props) {
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [language, setLanguage] = useState('');
  // Only what the agent typed is state; the rest is derived from the contact on each render, so a
  // live reload of the contact (any event on the conversation) never wipes a typed parameter.
  const [edited, setEdited] = useState<Record<string, string>>({});
  const [preview, setPreview] = useState<TemplatePreview | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    loadCatalogue().then(
      (list) => setTemplates(list.filter(usable)),
      (error: unknown) => setLoadError(error instanceof ApiError ? error.message : 'The templates could not be loaded.'),
    );
  }, []);

  const template = templates?.find((t) => t.name === name) ?? null;
  const variant = template?.variants.find((v) => v.language === language) ?? null;
  const placeholders = useMemo(() => (variant ? bodyPlaceholders(variant) : []), [variant]);

  // A template picked: its variant in the contact's language when there is one, parameters pre-filled.
  useEffect(() => {
    if (!template) return;
    const approved = template.variants.filter((v) => v.status === 'APPROVED');
    const locale = contact?.locale ?? conversation.contact.locale ?? '';
    const chosen =
      approved.find((v) => v.language === locale) ?? approved.find((v) => locale && v.language.split('_')[0] === locale.split('_')[0]) ?? approved[0];
    setLanguage(chosen?.language ?? '');
  }, [template, contact?.locale, conversation.contact.locale]);

  // Another variant starts afresh: its own prefilled values, and no result of an earlier send.
  const variantKey = variant ? `${name}/${variant.language}` : '';
  useEffect(() => {
    setEdited({});
    setResult(null);
  }, [variantKey]);

  const values = useMemo(
    () => Object.fromEntries(placeholders.map((p) => [p, edited[p] ?? prefill(p, contact)])),
    [placeholders, edited, contact],
  );

  const parameters = useMemo(() => {
    if (placeholders.length === 0) return undefined;
    const positional = placeholders.every((p) => /^\d+$/.test(p));
    return { body: positional ? placeholders.map((p) => values[p] ?? '') : Object.fromEntries(placeholders.map((p) => [p, values[p] ?? ''])) };
  }, [placeholders, values]);
  const missing = placeholders.filter((p) => !(values[p] ?? '').trim());

  // The preview is the hub's own rendering (the variant Meta will get, with the values filled in).
  useEffect(() => {
    if (!variant || missing.length > 0) {
      setPreview(null);
      setPreviewError(null);
      return;
    }
    let live = true;
    const timer = window.setTimeout(() => {
      api
        .previewTemplate(name, { contactId: conversation.contact.id, language, ...(parameters ? { parameters } : {}) })
        .then(
          (p) => {
            if (!live) return;
            setPreview(p);
            setPreviewError(null);
          },
          (error: unknown) => {
            if (!live) return;
            setPreview(null);
            setPreviewError(error instanceof ApiError ? apiErrorSentence(error.code, error.message) : 'No preview.');
          },
        );
    }, 250);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [name, language, parameters, variant, missing.length, conversation.contact.id]);

  const send = async () => {
    if (!variant || busy) return;
    setBusy(true);
    setResult(null);
    try {
      await api.send({
        contactId: conversation.contact.id,
        from: conversation.phoneNumberId,
        type: 'template',
        template: { name, language, ...(parameters ? { parameters } : {}) },
      });
      setResult({ ok: true, text: `Template “${name}” sent.` });
      onSent();
    } catch (error) {
      setResult({ ok: false, text: error instanceof ApiError ? apiErrorSentence(error.code, error.message) : 'The template could not be sent.' });
    } finally {
      setBusy(false);
    }
  };

  if (loadError)
    return (
      <p className="composer-error" role="alert">
        {loadError}
      </p>
    );
  if (!templates) return <p className="list-status">Loading templates…</p>;
  if (templates.length === 0) return <p className="list-status">No approved templates yet. Create one in WhatsApp Manager or through the API, then sync.</p>;

  return (
    <div className="template-picker">
      <div className="template-controls">
        <label>
          <span>Template</span>
          <select aria-label="Template" value={name} onChange={(e) => setName(e.target.value)}>
            <option value="">Choose a template…</option>
            {templates.map((t) => (
              <option key={`${t.wabaId}/${t.name}`} value={t.name}>
                {t.name} ({t.variants.map((v) => v.language).join(', ')})
              </option>
            ))}
          </select>
        </label>
        {template && (
          <label>
            <span>Language</span>
            <select aria-label="Language" value={language} onChange={(e) => setLanguage(e.target.value)}>
              {template.variants.map((v) => (
                <option key={v.id} value={v.language} disabled={v.status !== 'APPROVED'}>
                  {v.language} · {v.category.toLowerCase()}
                  {v.status !== 'APPROVED' ? ` · ${v.status.toLowerCase()}` : ''}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {variant && placeholders.length > 0 && (
        <fieldset className="template-params">
          <legend>Parameters</legend>
          {placeholders.map((p) => (
            <label key={p}>
              <span>{`{{${p}}}`}</span>
              <input aria-label={`Parameter ${p}`} value={values[p] ?? ''} onChange={(e) => setEdited((v) => ({ ...v, [p]: e.target.value }))} />
            </label>
          ))}
        </fieldset>
      )}
      {variant && (
        <div className="template-preview" aria-live="polite" aria-label="Template preview">
          {missing.length > 0 ? (
            <p className="hint">Fill in {missing.map((m) => `{{${m}}}`).join(', ')} to see the preview.</p>
          ) : preview ? (
            <div className="bubble outbound preview-bubble">
              {preview.header && typeof preview.header.text === 'string' && <strong className="preview-header">{preview.header.text}</strong>}
              {preview.body && <p className="bubble-text">{preview.body}</p>}
              {preview.footer && <p className="preview-footer">{preview.footer}</p>}
              {preview.buttons.length > 0 && (
                <div className="preview-buttons">
                  {preview.buttons.map((b, i) => (
                    <span key={i}>{b.text}</span>
                  ))}
                </div>
              )}
            </div>
          ) : previewError ? (
            <p className="composer-error">{previewError}</p>
          ) : (
            <p className="hint">Preparing the preview…</p>
          )}
        </div>
      )}
      {result && (
        <p className={result.ok ? 'composer-ok' : 'composer-error'} role={result.ok ? 'status' : 'alert'}>
          {result.text}
        </p>
      )}
      <div className="composer-actions">
        <span className="spacer" />
        <button type="button" className="primary" disabled={!variant || busy || missing.length > 0} onClick={send}>
          {busy ? 'Sending…' : 'Send template'}
        </button>
      </div>
    </div>
  );
}
