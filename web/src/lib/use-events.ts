import { useEffect, useRef, useState } from 'react';
import { eventsUrl } from '../api/client';
import type { InboxEvent } from '../api/types';

const TYPES: InboxEvent['type'][] = ['message', 'status', 'conversation', 'note', 'typing', 'alert', 'resync'];

export type Connection = 'connecting' | 'live' | 'reconnecting';

/**
 * One EventSource for the page. The browser reconnects by itself after a network drop, but gives
 * up for good on an HTTP error (a restart answering 502), so a closed source is reopened after a
 * pause. `onReconnect` lets the caller refetch what may have been missed meanwhile.
 */
export function useInboxEvents(enabled: boolean, onEvent: (event: InboxEvent) => void, onReconnect: () => void): Connection {
  const [connection, setConnection] = useState<Connection>('connecting');
  const [attempt, setAttempt] = useState(0);
  const handler = useRef(onEvent);
  const reconnect = useRef(onReconnect);
  const everLive = useRef(false);
  handler.current = onEvent;
  reconnect.current = onReconnect;

  useEffect(() => {
    if (!enabled) return;
    const source = new EventSource(eventsUrl, { withCredentials: true });
    let retry: number | undefined;
    source.onopen = () => {
      setConnection('live');
      if (everLive.current) reconnect.current();
      everLive.current = true;
    };
    source.onerror = () => {
      setConnection('reconnecting');
      if (source.readyState === EventSource.CLOSED) retry = window.setTimeout(() => setAttempt((n) => n + 1), 3_000);
    };
    const listeners = TYPES.map((type) => {
      const listener = (message: MessageEvent<string>) => {
        try {
          handler.current({ type, data: JSON.parse(message.data) } as InboxEvent);
        } catch {
          // A malformed event is ignored; the next refetch brings the truth.
        }
      };
      source.addEventListener(type, listener);
      return [type, listener] as const;
    });
    return () => {
      window.clearTimeout(retry);
      for (const [type, listener] of listeners) source.removeEventListener(type, listener);
      source.close();
    };
  }, [enabled, attempt]);
  return connection;
}
