/** Log in with an admin user of admin_api.users and its key. */
import { useState } from 'preact/hooks';
import { logIn, type Session } from '../api.js';
import { ErrorMessage } from '../widgets.js';

export function LoginPage({ onLogin }: { onLogin: (session: Session) => void }) {
  const [user, setUser] = useState('');
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onLogin(await logIn(user, key));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <h1>taxii-exchange console</h1>
      <form onSubmit={submit}>
        <label>
          Admin user
          <input name="user" autoComplete="username" required value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        </label>
        <label>
          Key
          <input name="key" type="password" autoComplete="current-password" required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>Log in</button>
        {error !== undefined && <ErrorMessage error={error} />}
      </form>
      <p class="hint">An admin user of <code>admin_api.users</code> in the server's configuration, and one of its keys. Partner keys do not open the console.</p>
    </main>
  );
}
