import { describe, expect, it } from 'vitest';
import { identityPatch, type Contact } from './contact.js';

const known: Contact = {
  id: 'c1',
  name: 'Ana Souza (CRM)',
  phone: '+5511987654321',
  phoneMatchKey: '+5511987654321',
  waId: null,
  bsuid: null,
  profileName: null,
  locale: null,
  fields: {},
  createdAt: 0,
  updatedAt: 0,
};

describe('identityPatch', () => {
  it('keeps the CRM name and records the WhatsApp profile name beside it', () => {
    const patch = identityPatch(known, { waId: '551187654321', bsuid: null, profileName: 'Ana' }, null);
    expect(patch).toEqual({ waId: '551187654321', profileName: 'Ana' });
  });

  it('adds a BSUID learned later to the phone contact', () => {
    expect(identityPatch(known, { waId: null, bsuid: 'BR.123', profileName: null }, null)).toEqual({ bsuid: 'BR.123' });
  });

  it('never replaces a BSUID or phone the contact already has', () => {
    const withIds = { ...known, bsuid: 'BR.1' };
    const patch = identityPatch(withIds, { waId: null, bsuid: 'BR.2', profileName: null }, { phone: '+5511900000000', matchKey: '+5511900000000' });
    expect(patch).toEqual({});
  });

  it('gives a contact without a name the profile name', () => {
    const patch = identityPatch({ ...known, name: null }, { waId: null, bsuid: null, profileName: 'Ana' }, null);
    expect(patch).toEqual({ name: 'Ana', profileName: 'Ana' });
  });

  it('adds the phone to a username-only contact once WhatsApp shares it', () => {
    const usernameOnly = { ...known, phone: null, phoneMatchKey: null, bsuid: 'BR.1' };
    const patch = identityPatch(usernameOnly, { waId: '5511987654321', bsuid: 'BR.1', profileName: null }, { phone: '+5511987654321', matchKey: 'k' });
    expect(patch).toEqual({ phone: '+5511987654321', phoneMatchKey: 'k', waId: '5511987654321' });
  });
});
