import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { ErrorMessage, PageHeading } from '../ui.ts';

export function SignInPage({ onSignIn, error }: { onSignIn: (apiKey: string) => Promise<void>; error?: unknown }) {
  const [apiKey, setApiKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(error);

  const submit = async (event: Event) => {
    event.preventDefault();
    const key = apiKey.trim();
    if (!key) {
      setFailure(new Error('Enter an API key of your company.'));
      return;
    }
    setBusy(true);
    try {
      await onSignIn(key);
    } catch (caught) {
      setFailure(caught);
      setBusy(false);
    }
  };

  return html`<${PageHeading}>Sign in<//>
    <p>Sign in with an API key of your company. Legal and ops reviewers use an <strong>approver</strong> key; a viewer key can read but not approve.</p>
    <form class="sign-in" onSubmit=${submit} novalidate>
      <label for="api-key">API key</label>
      <input
        id="api-key"
        name="api-key"
        type="password"
        autocomplete="off"
        spellcheck=${false}
        aria-describedby="api-key-hint"
        aria-invalid=${failure ? 'true' : undefined}
        value=${apiKey}
        onInput=${(event: Event) => setApiKey((event.currentTarget as HTMLInputElement).value)}
      />
      <p id="api-key-hint" class="hint">It starts with <code>acc_</code>. The console keeps it in this browser tab only and forgets it when you sign out or close the tab.</p>
      <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
    ${failure ? html`<${ErrorMessage} error=${failure} />` : null}`;
}
