import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, setCsrfToken, setUnauthorizedHandler } from './api/client';
import type { Session } from './api/types';
import { AdminPage } from './components/admin-page';
import { InboxPage } from './components/inbox-page';
import { LoginPage } from './components/login-page';
import { navigate, usePath } from './lib/router';

type Auth = { state: 'loading' } | { state: 'anonymous' } | { state: 'signed-in'; session: Session };

export function App() {
  const path = usePath();
  const [auth, setAuth] = useState<Auth>({ state: 'loading' });

  const signedOut = useCallback(() => {
    setCsrfToken(null);
    setAuth({ state: 'anonymous' });
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(signedOut);
    api
      .me()
      .then((session) => {
        setCsrfToken(session.csrfToken);
        setAuth({ state: 'signed-in', session });
      })
      .catch(() => signedOut());
    return () => setUnauthorizedHandler(null);
  }, [signedOut]);

  useEffect(() => {
    if (auth.state === 'anonymous' && path !== '/login') {
      const next = path === '/' ? '' : `?next=${encodeURIComponent(path)}`;
      navigate(`/login${next}`, { replace: true });
    }
    if (auth.state === 'signed-in' && (path === '/login' || path === '/')) {
      const next = new URLSearchParams(window.location.search).get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/inbox', { replace: true });
    }
  }, [auth, path]);

  if (auth.state === 'loading') return <div className="splash" role="status">Loading the inbox…</div>;
  if (auth.state === 'anonymous') {
    return (
      <LoginPage
        onSignedIn={(session) => {
          setCsrfToken(session.csrfToken);
          setAuth({ state: 'signed-in', session });
        }}
      />
    );
  }

  const logout = async () => {
    try {
      await api.logout();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
    }
    signedOut();
    navigate('/login', { replace: true });
  };

  if (path.startsWith('/admin')) return <AdminPage session={auth.session} onLogout={logout} />;
  return <InboxPage session={auth.session} path={path} onLogout={logout} />;
}
