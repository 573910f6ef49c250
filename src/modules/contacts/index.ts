export type { Contact, ObservedIdentity } from './core/contact.js';
export type { ContactsDeps } from './contacts.deps.js';
export { contactRepository } from './contact.repository.js';
export { resolveContact } from './resolve-contact.js';
export { createContact } from './create-contact.js';
export { findContacts } from './find-contacts.js';
export { changeContactNumber, changeContactBsuid, type MoveContactReferences } from './change-contact-number.js';
export { contactsRoutes, contactResponse } from './contacts.routes.js';
export { findOrCreateContactByPhone, findOrCreateContactByBsuid } from './find-or-create-contact.js';
