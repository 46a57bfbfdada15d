import { useState } from 'preact/hooks';

import { ApiError, signIn } from '../api';
import { ErrorBox } from '../components';

export function SignIn({ onSignedIn }: { onSignedIn: (username: string) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="signin">
      <h1>Sign in to Pulp</h1>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const me = await signIn(username, password);
            onSignedIn(String(me.username));
          } catch (err) {
            setError(err instanceof ApiError && err.status === 401 ? new Error('Wrong username or password.') : err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <div class="field">
          <label for="signin-username">Username</label>
          <input
            id="signin-username"
            autocomplete="username"
            required
            value={username}
            onInput={(e) => setUsername((e.target as HTMLInputElement).value)}
          />
        </div>
        <div class="field">
          <label for="signin-password">Password</label>
          <input
            id="signin-password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          />
        </div>
        <ErrorBox error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
