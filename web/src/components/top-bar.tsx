import type { Session } from '../api/types';
import { navigate } from '../lib/router';
import type { Connection } from '../lib/use-events';

const CONNECTION_LABEL: Record<Connection, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
};

export function TopBar({ session, connection, onLogout }: { session: Session; connection?: Connection; onLogout: () => void }) {
  const isAdmin = session.user.role === 'admin';
  return (
    <header className="top-bar">
      <a
        className="brand"
        href="/inbox"
        onClick={(e) => {
          e.preventDefault();
          navigate('/inbox');
        }}
      >
        <span className="brand-mark" aria-hidden="true" />
        <span>Switchboard</span>
      </a>
      {connection && (
        <span className={`connection ${connection}`} role="status" aria-live="polite">
          <span className="dot" aria-hidden="true" />
          {CONNECTION_LABEL[connection]}
        </span>
      )}
      <span className="spacer" />
      {isAdmin && (
        <a
          href="/admin"
          className="top-link"
          onClick={(e) => {
            e.preventDefault();
            navigate('/admin');
          }}
        >
          Team
        </a>
      )}
      <span className="me" title={session.user.email}>
        <span className="avatar" aria-hidden="true">
          {initials(session.user.name)}
        </span>
        <span className="me-name">{session.user.name}</span>
        <span className="role-badge">{session.user.role}</span>
      </span>
      <button type="button" className="ghost" onClick={onLogout}>
        Sign out
      </button>
    </header>
  );
}

export function initials(name: string | null | undefined): string {
  const parts = (name ?? '?').trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '')).toUpperCase();
}
