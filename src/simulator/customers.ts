/**
 * Simulated WhatsApp users: who they are (wa_id, BSUID, profile), when they last wrote to each
 * business number (the 24 h service window), and whether they stopped marketing messages.
 */
import { SimulatorError } from './errors.js';
import { countryOf, type IdFactory } from './ids.js';
import { CustomerInputSchema, type CustomerInput } from './schemas.js';

export type Customer = {
  id: string;
  /** null: a username-only user whose phone number is withheld from the business. */
  waId: string | null;
  bsuid: string;
  name: string;
  username: string | null;
  notOnWhatsApp: boolean;
  aliases: string[];
  reads: boolean;
};

/** A customer, or its id, wa_id or BSUID. */
export type CustomerRef = Customer | string;

/** `to` as Meta accepts it: `+` and formatting characters are ignored. */
export function normalizePhone(input: string): string | null {
  const digits = input.replace(/[\s+\-().]/g, '');
  return /^\d{6,15}$/.test(digits) ? digits : null;
}

export type CustomerRegistry = {
  add(input: CustomerInput): Customer;
  get(ref: CustomerRef): Customer;
  find(ref: string): Customer | undefined;
  byPhone(digits: string): Customer | undefined;
  byBsuid(bsuid: string): Customer | undefined;
  all(): Customer[];
  lastInboundAt(phoneNumberId: string, customer: Customer): number | null;
  setLastInboundAt(phoneNumberId: string, customer: Customer, at: number | null): void;
  /** The number a customer last wrote to or was written from (for actions that name none). */
  lastNumber(customer: Customer): string | undefined;
  setLastNumber(customer: Customer, phoneNumberId: string): void;
  /** Marketing opt-out is per business (WABA): "stop receiving marketing messages … from your business". */
  isOptedOut(wabaId: string, customer: Customer): boolean;
  setOptedOut(wabaId: string, customer: Customer, optedOut: boolean): void;
};

export function createCustomerRegistry(ids: IdFactory, generatePhone: () => string): CustomerRegistry {
  const customers: Customer[] = [];
  const lastInbound = new Map<string, number>();
  const lastNumbers = new Map<string, string>();
  const optedOut = new Set<string>();
  const key = (a: string, b: string) => `${a}\u0000${b}`;

  const byPhone = (digits: string) => customers.find((c) => c.waId === digits || c.aliases.includes(digits));
  const byBsuid = (bsuid: string) => customers.find((c) => c.bsuid === bsuid);
  const find = (ref: string) => customers.find((c) => c.id === ref) ?? byBsuid(ref) ?? (normalizePhone(ref) ? byPhone(normalizePhone(ref) as string) : undefined);

  return {
    add(input) {
      const parsed = CustomerInputSchema.parse(input);
      const waId = parsed.waId ? (normalizePhone(parsed.waId) as string) : parsed.username ? null : generatePhone();
      const customer: Customer = {
        id: `cus_${customers.length + 1}`,
        waId,
        bsuid: parsed.bsuid ?? ids.bsuid(countryOf(waId)),
        name: parsed.name,
        username: parsed.username ?? null,
        notOnWhatsApp: parsed.notOnWhatsApp,
        aliases: parsed.aliases.map((a) => normalizePhone(a) as string),
        reads: parsed.reads,
      };
      if ((waId && byPhone(waId)) || byBsuid(customer.bsuid)) throw new SimulatorError('BAD_REQUEST', 'a customer with this wa_id or BSUID already exists');
      customers.push(customer);
      return customer;
    },
    get(ref) {
      if (typeof ref !== 'string') return ref;
      const found = find(ref);
      if (!found) throw new SimulatorError('NOT_FOUND', `no customer ${ref}`);
      return found;
    },
    find,
    byPhone,
    byBsuid,
    all: () => [...customers],
    lastInboundAt: (numberId, customer) => lastInbound.get(key(numberId, customer.id)) ?? null,
    setLastInboundAt(numberId, customer, at) {
      if (at === null) lastInbound.delete(key(numberId, customer.id));
      else lastInbound.set(key(numberId, customer.id), at);
    },
    lastNumber: (customer) => lastNumbers.get(customer.id),
    setLastNumber: (customer, numberId) => void lastNumbers.set(customer.id, numberId),
    isOptedOut: (wabaId, customer) => optedOut.has(key(wabaId, customer.id)),
    setOptedOut(wabaId, customer, value) {
      if (value) optedOut.add(key(wabaId, customer.id));
      else optedOut.delete(key(wabaId, customer.id));
    },
  };
}
