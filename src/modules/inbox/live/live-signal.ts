/**
 * What the inbox tells connected browsers. Signals travel between processes (PostgreSQL NOTIFY,
 * under 8000 bytes), so they stay small: `conversation` and `note` carry ids only, and each
 * server fills in the current state before writing to its streams.
 */
export type LiveSignal =
  | { id: string; event: 'message'; data: { conversationId: string; contactId: string; messageId?: string; wamid?: string; direction: 'inbound' | 'outbound' } }
  | {
      id: string;
      event: 'status';
      /**
       * `wamid` is null for a send that failed before Meta accepted it; `messageId` is the outbound
       * message's id. Statuses are the busiest signal (three per message sent), so the publisher
       * leaves `conversationId` null and a server with browsers connected looks it up from the
       * contact and number before writing.
       */
      data: {
        conversationId: string | null;
        contactId: string;
        phoneNumberId: string | null;
        wamid: string | null;
        messageId?: string;
        status: string;
        errors?: { code: number; title: string }[];
      };
    }
  | { id: string; event: 'conversation'; data: { conversationId: string } }
  | { id: string; event: 'note'; data: { conversationId: string; noteId: string } }
  | { id: string; event: 'typing'; data: { conversationId: string; userId: string; name: string } }
  | { id: string; event: 'alert'; data: { conversationId: string; userId: string | null; reason: string } };

export type LiveEventName = LiveSignal['event'];

/** A signal without its id: the bus gives each one. */
export type LiveSignalInput = LiveSignal extends infer S ? (S extends LiveSignal ? Omit<S, 'id'> : never) : never;
