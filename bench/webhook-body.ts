import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { signatureFor } from '../src/modules/inbound/webhook-signature.js';

/**
 * Realistic signed WhatsApp Cloud API webhooks for load tests: the shape of
 * test/fixtures/meta/inbound-text.json, a longer text, a few distinct senders, a unique wamid per
 * body (the hub deduplicates identical bodies by their sha256) and Meta's `\uXXXX` serialisation.
 * Every body of one generator has exactly the same size.
 */

export type SignedBody = { body: Buffer; signature: string };

export type BodyGenerator = {
  /** The next body (never repeated within this process) and its X-Hub-Signature-256 value. */
  next(): SignedBody;
  /** Bytes per body. */
  readonly size: number;
  /** How many bodies were handed out so far (across all phases). */
  readonly issued: number;
};

type Sender = { waId: string; name: string; userId: string };

const SENDERS: Sender[] = [
  { waId: '551187654321', name: 'Ana Souza', userId: 'BR.27403918572640193841' },
  { waId: '5521998761234', name: 'João Pereira da Conceição', userId: 'BR.81726354901827364510' },
  { waId: '5215512345678', name: 'María Fernanda López', userId: 'MX.19283746501928374650' },
  { waId: '5491123456789', name: 'Martín Gómez', userId: 'AR.56473829105647382910' },
  { waId: '447700900123', name: 'Oliver Smith', userId: 'GB.10293847561029384756' },
  { waId: '919876543210', name: 'Priya Sharma', userId: 'IN.66778899001122334455' },
];

const SENTENCES = [
  'Oi! Vocês têm esse produto em azul?',
  'Comprei na semana passada e o pedido ainda não chegou, podem verificar o rastreio por favor?',
  'O número do pedido é 4587-2210 e o endereço de entrega é Rua das Acácias, 1200, apto 53, São Paulo.',
  'Também queria saber se dá para trocar o tamanho M pelo G sem custo de frete, porque ficou apertado.',
  'Se não tiver em azul pode ser em verde-água, mas preciso até sexta-feira para o aniversário da minha irmã.',
  'Vocês aceitam Pix ou só cartão? E o parcelamento em 3x tem juros?',
  'Obrigada pela atenção, fico no aguardo da resposta. 😊',
];

/** JSON.stringify, then non-ASCII as `\uXXXX` (surrogate pairs included), as Meta serialises. */
export function metaStringify(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

const WAMID_PLACEHOLDER = '@@WAMID@@';
const TS_PLACEHOLDER = '@@TS@@';

function bodyFor(fixture: unknown, sender: Sender, text: string): string {
  const envelope = structuredClone(fixture) as {
    entry: { changes: { value: { contacts: Record<string, unknown>[]; messages: Record<string, unknown>[] } }[] }[];
  };
  const value = envelope.entry[0]!.changes[0]!.value;
  value.contacts[0] = { profile: { name: sender.name }, wa_id: sender.waId, user_id: sender.userId };
  value.messages[0] = {
    from: sender.waId,
    from_user_id: sender.userId,
    id: WAMID_PLACEHOLDER,
    timestamp: TS_PLACEHOLDER,
    type: 'text',
    text: { body: text },
  };
  return metaStringify(envelope);
}

/** A message text that makes the serialised body exactly `targetBytes` long (after the placeholders are filled). */
function paddedText(fixture: unknown, sender: Sender, targetBytes: number, fill: { wamid: number; ts: number }): string {
  const sizeOf = (text: string) =>
    Buffer.byteLength(bodyFor(fixture, sender, text)) - WAMID_PLACEHOLDER.length - TS_PLACEHOLDER.length + fill.wamid + fill.ts;
  let text = '';
  for (let i = 0; sizeOf(text) < targetBytes; i++) text += (text ? ' ' : '') + SENTENCES[i % SENTENCES.length];
  // Trim back to the target; an escaped character counts for up to 12 bytes, so go one char at a time.
  while (sizeOf(text) > targetBytes) text = [...text].slice(0, -1).join('');
  while (sizeOf(text) < targetBytes) text += '.';
  return text;
}

export function createBodyGenerator(options: { fixturePath: string; appSecret: string; targetBytes?: number }): BodyGenerator {
  const fixture: unknown = JSON.parse(readFileSync(options.fixturePath, 'utf8'));
  const targetBytes = options.targetBytes ?? 1500;
  // wamid: Meta's prefix, a per-run tag (runs against the same database never collide), a counter.
  const runTag = randomBytes(6).toString('hex').toUpperCase();
  const wamidPrefix = `wamid.HBgMNTUxMTg3NjU0MzIxFQIAEhgU${runTag}`;
  const counterWidth = 12;
  const wamidLength = wamidPrefix.length + counterWidth;
  const tsLength = 10;

  const templates = SENDERS.map((sender) => {
    const text = paddedText(fixture, sender, targetBytes, { wamid: wamidLength, ts: tsLength });
    const serialised = bodyFor(fixture, sender, text);
    const [head, rest] = serialised.split(WAMID_PLACEHOLDER) as [string, string];
    const [middle, tail] = rest.split(TS_PLACEHOLDER) as [string, string];
    return { head, middle, tail };
  });

  let counter = 0;
  const generator: BodyGenerator = {
    size: targetBytes,
    get issued() {
      return counter;
    },
    next() {
      const n = counter++;
      const t = templates[n % templates.length]!;
      const ts = String(Math.floor(Date.now() / 1000));
      const wamid = wamidPrefix + n.toString(16).toUpperCase().padStart(counterWidth, '0');
      const body = Buffer.from(t.head + wamid + t.middle + ts + t.tail, 'utf8');
      const signature = signatureFor(body, options.appSecret);
      return { body, signature };
    },
  };
  // Sanity: the sizes promised above hold.
  const probe = generator.next();
  if (probe.body.length !== targetBytes) throw new Error(`body generator: expected ${targetBytes} bytes, got ${probe.body.length}`);
  counter = 0;
  return generator;
}
