/**
 * The simulator's world, one instance per simulator (no module-level state): business numbers,
 * access tokens, and the messages exchanged in both directions.
 */
import { SimulatorError } from './errors.js';
import type { Pricing } from './envelopes.js';
import { NumberInputSchema, type NumberInput, type PhoneNumber } from './schemas.js';

export type NumberRegistry = {
  add(input: NumberInput): PhoneNumber;
  get(phoneNumberId: string): PhoneNumber | undefined;
  require(phoneNumberId: string): PhoneNumber;
  first(): PhoneNumber;
  all(): PhoneNumber[];
  wabaIds(): string[];
};

export function createNumberRegistry(): NumberRegistry {
  const numbers = new Map<string, PhoneNumber>();
  const registry: NumberRegistry = {
    add(input) {
      const number = NumberInputSchema.parse(input);
      numbers.set(number.phoneNumberId, number);
      return number;
    },
    get: (id) => numbers.get(id),
    require(id) {
      const number = numbers.get(id);
      if (!number) throw new SimulatorError('NOT_FOUND', `no business number ${id}`);
      return number;
    },
    first() {
      const number = numbers.values().next().value;
      if (!number) throw new SimulatorError('NOT_FOUND', 'no business number is configured');
      return number;
    },
    all: () => [...numbers.values()],
    wabaIds: () => [...new Set([...numbers.values()].map((n) => n.wabaId))],
  };
  return registry;
}

export type TokenCheck = { ok: true } | { ok: false; reason: 'missing' | 'invalid' } | { ok: false; reason: 'expired'; expiredAt: number };

export type AccessTokens = {
  add(token: string): void;
  /** From now on the token answers 190 / subcode 463 (expired). */
  expire(token: string, at: number): void;
  check(authorization: string | undefined): TokenCheck;
};

export function createAccessTokens(initial: string[]): AccessTokens {
  const tokens = new Map<string, number | null>(initial.map((t) => [t, null]));
  return {
    add: (token) => void tokens.set(token, null),
    expire: (token, at) => void tokens.set(token, at),
    check(authorization) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
      if (!match) return { ok: false, reason: authorization ? 'invalid' : 'missing' };
      const state = tokens.get(match[1] as string);
      if (state === undefined) return { ok: false, reason: 'invalid' };
      return state === null ? { ok: true } : { ok: false, reason: 'expired', expiredAt: state };
    },
  };
}

/** A message the hub sent through the Graph API and the simulator accepted. */
export type OutboundMessage = {
  wamid: string;
  phoneNumberId: string;
  /** null: the recipient is no customer (an unknown number treated as undeliverable). */
  customerId: string | null;
  /** `to` or `recipient` exactly as sent. */
  input: string;
  recipientKind: 'phone' | 'bsuid';
  type: string;
  /** The request body as received. */
  request: Record<string, unknown>;
  template: { name: string; language: string; category: string } | null;
  bizOpaqueCallbackData: string | null;
  pricing: Pricing;
  acceptedAt: number;
  /** null: delivered normally; else the code of the `failed` status it gets. */
  failureCode: number | null;
  /** Status webhooks sent so far, in the order they were sent (duplicates included). */
  statusesSent: string[];
};

/** A message a simulated customer sent to the business. */
export type InboundMessage = {
  wamid: string;
  phoneNumberId: string;
  customerId: string;
  type: string;
  at: number;
  /** Set when the business marked it as read. */
  readByBusiness: boolean;
};

export type MessageLog = {
  outbound: Map<string, OutboundMessage>;
  inbound: Map<string, InboundMessage>;
};

export const createMessageLog = (): MessageLog => ({ outbound: new Map(), inbound: new Map() });
