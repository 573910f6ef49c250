/**
 * Opt-out and opt-in keywords ("STOP", "BAJA", "СТОП", "配信停止", "START", …) recognised in an
 * inbound message. Pure: no I/O.
 *
 * A keyword counts only when it is the WHOLE message once normalised: case-folded, diacritics
 * stripped (Latin, Greek, Cyrillic accents; Arabic harakat and tatweel), compatibility forms folded
 * (full-width ＳＴＯＰ), inner runs of spaces, hyphens and underscores collapsed to one space, and
 * punctuation, symbols, emoji and whitespace trimmed from both ends. "Stop!", "¡BAJA!", "«Стоп»",
 * "stop 🛑" are opt-outs; "please don't stop", "stop sending me the promo" are not (a person who
 * writes a sentence is talking, not unsubscribing, and a false opt-out silences a customer).
 */

export type ConsentKeywordAction = 'opt_out' | 'opt_in';

export type ConsentKeywordMatch = {
  action: ConsentKeywordAction;
  /** ISO 639-1 code of the first language (in list order) whose list holds the keyword. */
  language: string;
  /** The keyword as normalised (what matched). */
  keyword: string;
};

export type KeywordLists = Readonly<Record<string, readonly string[]>>;

/**
 * Opt-out keywords by language. Words that people commonly send as a whole message for another
 * reason (a bare "no", "yes", "ok") are deliberately absent. `CANCEL`/`CANCELAR` are standard
 * carrier opt-out words; a business where "cancel" means "cancel my order" removes them with
 * `remove` (see `KeywordConfig`).
 */
export const DEFAULT_OPT_OUT_KEYWORDS: KeywordLists = {
  en: ['STOP', 'STOP ALL', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPT OUT', 'OPTOUT', 'REVOKE', 'STOP PROMOTIONS'],
  es: ['PARAR', 'BAJA', 'DAR DE BAJA', 'CANCELAR', 'ALTO', 'DETENER', 'DESUSCRIBIR', 'DESUSCRIBIRME', 'DETENER PROMOCIONES'],
  pt: ['PARE', 'PARAR', 'SAIR', 'CANCELAR', 'DESCADASTRAR', 'DESINSCREVER', 'PARAR PROMOÇÕES'],
  fr: ['ARRÊT', 'ARRÊTER', 'STOP', 'DÉSABONNER', 'DÉSINSCRIRE', 'ANNULER'],
  de: ['STOPP', 'STOP', 'ABMELDEN', 'ABBESTELLEN', 'ENDE'],
  it: ['STOP', 'BASTA', 'ANNULLA', 'DISISCRIVI', 'DISISCRIVIMI', 'CANCELLAMI'],
  nl: ['STOPPEN', 'STOP', 'AFMELDEN', 'UITSCHRIJVEN'],
  ru: ['СТОП', 'ОТПИСАТЬСЯ', 'ОТПИСКА'],
  ar: ['إيقاف', 'توقف', 'إلغاء', 'إلغاء الاشتراك'],
  hi: ['रोकें', 'रोको', 'बंद', 'STOP'],
  id: ['BERHENTI', 'STOP', 'BERHENTI BERLANGGANAN'],
  ms: ['BERHENTI', 'STOP', 'HENTI'],
  tr: ['DUR', 'İPTAL', 'DURDUR', 'ABONELİKTEN ÇIK'],
  pl: ['STOP', 'WYPISZ', 'WYPISZ MNIE', 'REZYGNUJĘ'],
  ja: ['停止', '配信停止', '配信解除', 'ストップ'],
  zh: ['停止', '退订', '退訂', '取消订阅', '取消訂閱'],
};

/** Opt-in keywords by language ("YES"/"SÍ" are absent: people answer questions with them). */
export const DEFAULT_OPT_IN_KEYWORDS: KeywordLists = {
  en: ['START', 'UNSTOP', 'SUBSCRIBE', 'RESUME', 'OPT IN', 'OPTIN'],
  es: ['ALTA', 'DAR DE ALTA', 'SUSCRIBIR', 'SUSCRIBIRME', 'REANUDAR'],
  pt: ['INICIAR', 'ASSINAR', 'RETOMAR', 'INSCREVER'],
  fr: ['DÉMARRER', 'ABONNER', 'REPRENDRE'],
  de: ['START', 'ANMELDEN', 'ABONNIEREN'],
  it: ['AVVIA', 'ISCRIVI', 'ISCRIVIMI', 'RIPRENDI'],
  nl: ['START', 'STARTEN', 'AANMELDEN'],
  ru: ['СТАРТ', 'ПОДПИСАТЬСЯ', 'ВОЗОБНОВИТЬ'],
  ar: ['ابدأ', 'بدء', 'اشتراك'],
  hi: ['शुरू', 'चालू', 'START'],
  id: ['MULAI', 'LANGGANAN'],
  ms: ['MULA', 'LANGGAN'],
  tr: ['BAŞLA', 'ABONE OL'],
  pl: ['START', 'ZAPISZ', 'ZAPISZ MNIE'],
  ja: ['開始', '再開', '配信再開'],
  zh: ['开始', '開始', '订阅', '訂閱'],
};

/** Extra keywords (by language; `custom` is fine as a language) and defaults to drop. */
export type KeywordConfig = {
  optOut?: KeywordLists;
  optIn?: KeywordLists;
  /** Default keywords (either list) that must not act, e.g. `['CANCEL', 'CANCELAR']`. */
  remove?: readonly string[];
};

/** Longest normalised message worth looking up; anything longer is a sentence. */
const MAX_KEYWORD_LENGTH = 48;

// Combining accents of Latin, Greek and Cyrillic (U+0300–U+036F), Arabic harakat, superscript
// alef and tatweel. Indic vowel signs are left alone: they are letters, not decoration.
const STRIPPED_MARKS = /[\u0300-\u036f\u064b-\u065f\u0670\u0640]/g;
// What may surround a keyword: punctuation, symbols (emoji are So/Sk), separators, controls and
// format characters (ZWJ), emoji presentation selectors and the keycap combiner.
const EDGE = /^[\p{P}\p{S}\p{Z}\p{Cc}\p{Cf}\p{Extended_Pictographic}\uFE0E\uFE0F\u20E3\s]+|[\p{P}\p{S}\p{Z}\p{Cc}\p{Cf}\p{Extended_Pictographic}\uFE0E\uFE0F\u20E3\s]+$/gu;
const INNER_SEPARATORS = /[\s\p{Z}\p{Pd}_]+/gu;

/** The form in which a message and a keyword are compared. Idempotent. */
export function normaliseKeywordText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(STRIPPED_MARKS, '')
    .normalize('NFC')
    .toLowerCase()
    .replace(/ı/g, 'i')
    .replace(/ß/g, 'ss')
    .replace(/ς/g, 'σ')
    .replace(EDGE, '')
    .replace(INNER_SEPARATORS, ' ');
}

export type KeywordMatcher = (text: string | null | undefined) => ConsentKeywordMatch | null;

/**
 * Builds a matcher from the default lists plus `config`. When one normalised word lands in both
 * lists (a configuration mistake), opt-out wins: an ambiguous word must never re-subscribe anyone.
 */
export function buildKeywordMatcher(config: KeywordConfig = {}): KeywordMatcher {
  const removed = new Set((config.remove ?? []).map(normaliseKeywordText));
  const table = new Map<string, ConsentKeywordMatch>();
  const add = (lists: KeywordLists, action: ConsentKeywordAction, isDefault: boolean) => {
    for (const [language, words] of Object.entries(lists)) {
      for (const word of words) {
        const keyword = normaliseKeywordText(word);
        if (keyword === '' || (isDefault && removed.has(keyword))) continue;
        const existing = table.get(keyword);
        if (existing && (existing.action === 'opt_out' || existing.action === action)) continue;
        table.set(keyword, { action, language, keyword });
      }
    }
  };
  add(DEFAULT_OPT_OUT_KEYWORDS, 'opt_out', true);
  add(config.optOut ?? {}, 'opt_out', false);
  add(DEFAULT_OPT_IN_KEYWORDS, 'opt_in', true);
  add(config.optIn ?? {}, 'opt_in', false);
  return (text) => {
    if (!text || text.length > MAX_KEYWORD_LENGTH * 4) return null;
    const normalised = normaliseKeywordText(text);
    if (normalised.length === 0 || normalised.length > MAX_KEYWORD_LENGTH) return null;
    return table.get(normalised) ?? null;
  };
}

const defaultMatcher = buildKeywordMatcher();

/**
 * Whether the whole message is an opt-out or opt-in keyword. With `extra`, a matcher is built for
 * the call; a caller that classifies every message should build one with `buildKeywordMatcher`.
 */
export function classifyConsentKeyword(text: string | null | undefined, extra?: KeywordConfig): ConsentKeywordMatch | null {
  return (extra ? buildKeywordMatcher(extra) : defaultMatcher)(text);
}
