import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, request } from '../api/client';
import type { Session, TeamMember } from '../api/types';
import { TopBar } from './top-bar';

/** Team settings: who can sign in, with which role. Admins only; the API enforces it too. */
export function AdminPage({ session, onLogout }: { session: Session; onLogout: () => void }) {
  const [users, setUsers] = useState<TeamMember[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [form, setForm] = useState({ name: '', email: '', password: '', role: 'agent' });
  const [message, setMessage] = useState<string | null>(null);
  const allowed = session.user.role === 'admin';

  const load = () =>
    api.users().then(
      (r) => setUsers(r.items),
      (e: unknown) => setError(e instanceof ApiError ? e.message : 'The team could not be loaded.'),
    );

  useEffect(() => {
    if (allowed) void load();
  }, [allowed]);

  const add = async (event: FormEvent) => {
    event.preventDefault();
    setMessage(null);
    setError(null);
    try {
      await request('/users', { method: 'POST', body: form });
      setMessage(`${form.email} can now sign in.`);
      setForm({ name: '', email: '', password: '', role: 'agent' });
      void load();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'The user could not be added.');
    }
  };

  return (
    <div className="admin">
      <TopBar session={session} onLogout={onLogout} />
      <main className="admin-main" aria-labelledby="admin-title">
        <h1 id="admin-title">Team</h1>
        {!allowed ? (
          <div className="forbidden" role="alert">
            <p className="empty-title">403 · Not allowed</p>
            <p>Only admins can manage the team. Ask an admin if you need access.</p>
          </div>
        ) : (
          <>
            {error && (
              <p className="composer-error" role="alert">
                {error}
              </p>
            )}
            <table className="team-table">
              <caption className="visually-hidden">Users</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {(users ?? []).map((u) => (
                  <tr key={u.id}>
                    <td>{u.name}</td>
                    <td>{u.email}</td>
                    <td>{u.role}</td>
                    <td>{u.online ? 'Online' : 'Offline'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <form className="add-user" onSubmit={add} aria-labelledby="add-user-title">
              <h2 id="add-user-title">Add a user</h2>
              <label>
                <span>Name</span>
                <input required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
              </label>
              <label>
                <span>Email</span>
                <input type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
              </label>
              <label>
                <span>Password</span>
                <input type="password" required minLength={8} autoComplete="new-password" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
              </label>
              <label>
                <span>Role</span>
                <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>
                  <option value="agent">Agent</option>
                  <option value="admin">Admin</option>
                </select>
              </label>
              <button type="submit" className="primary">
                Add user
              </button>
              {message && <p role="status">{message}</p>}
            </form>
          </>
        )}
      </main>
    </div>
  );
}
