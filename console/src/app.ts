import { html } from 'htm/preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Partner } from '../../shared/partner.ts';
import { Api } from './api.ts';
import { href, parseRoute, type Route } from './model/route.ts';
import { AgreementPage } from './pages/agreement.ts';
import { AgreementsPage } from './pages/agreements.ts';
import { LedgerPage } from './pages/ledger.ts';
import { ReferralsPage } from './pages/referrals.ts';
import { ResultsPage } from './pages/results.ts';
import { SignInPage } from './pages/sign-in.ts';
import { TimelinePage } from './pages/timeline.ts';
import { forgetKey, storedKey, storeKey } from './session.ts';
import { PageHeading } from './ui.ts';

/** Says something to screen readers (and shows it) in the page's status region. */
export type Announce = (message: string, tone?: 'info' | 'error') => void;

export interface PageProps {
  api: Api;
  partner: Partner;
  announce: Announce;
}

/** The skip link moves focus without touching the URL's fragment, which names the page. */
function skipToContent(event: Event): void {
  event.preventDefault();
  document.getElementById('main')?.focus();
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function Page({ route, ...props }: PageProps & { route: Route }) {
  switch (route.page) {
    case 'agreements':
      return html`<${AgreementsPage} ...${props} />`;
    case 'agreement':
      return html`<${AgreementPage} ...${props} agreementId=${route.agreementId} />`;
    case 'timeline':
      return html`<${TimelinePage} ...${props} agreementId=${route.agreementId} />`;
    case 'results':
      return html`<${ResultsPage} ...${props} agreementId=${route.agreementId} />`;
    case 'referrals':
      return html`<${ReferralsPage} ...${props} agreementId=${route.agreementId} />`;
    case 'ledger':
      return html`<${LedgerPage} ...${props} agreementId=${route.agreementId} />`;
    case 'not-found':
      return html`<${PageHeading}>Page not found<//>
        <p>The console has no page at <code>${route.hash}</code>. <a href=${href({ page: 'agreements' })}>See your agreements</a>.</p>`;
  }
}

export function App() {
  const [apiKey, setApiKey] = useState(storedKey);
  const [partner, setPartner] = useState<Partner>();
  const [signInError, setSignInError] = useState<unknown>();
  const [status, setStatus] = useState<{ message: string; tone: 'info' | 'error' }>({ message: '', tone: 'info' });
  const route = useRoute();

  const signOut = useCallback((reason?: string) => {
    forgetKey();
    setApiKey(undefined);
    setPartner(undefined);
    setStatus({ message: reason ?? 'You are signed out.', tone: reason ? 'error' : 'info' });
  }, []);
  const api = useMemo(() => (apiKey ? new Api(apiKey, () => signOut('The API no longer accepts your key (unknown or revoked): sign in again.')) : undefined), [apiKey, signOut]);
  const announce = useCallback<Announce>((message, tone = 'info') => setStatus({ message, tone }), []);

  // A key kept from earlier in this tab: find whose it is, or forget it.
  useEffect(() => {
    if (!api || partner) return;
    api.me().then(setPartner, (error: unknown) => {
      setSignInError(error);
      forgetKey();
      setApiKey(undefined);
    });
  }, [api, partner]);

  // After navigating, start screen readers (and the keyboard) at the new page's heading.
  const firstRoute = useRef(true);
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    document.getElementById('page-heading')?.focus();
  }, [route, partner?.id]);

  const statusRegion = html`<div class=${`status status-${status.tone}`} role="status" aria-live="polite" aria-atomic="true">${status.message}</div>`;

  if (!api || !partner) {
    return html`<header class="banner"><p class="brand">Accord console</p></header>
      <main id="main">
        ${apiKey
          ? html`<${PageHeading}>Signing in…<//>`
          : html`<${SignInPage}
              error=${signInError}
              onSignIn=${async (key: string) => {
                const me = await new Api(key).me();
                storeKey(key);
                setSignInError(undefined);
                setApiKey(key);
                setPartner(me);
                setStatus({ message: `Signed in as ${me.name}.`, tone: 'info' });
              }}
            />`}
        ${statusRegion}
      </main>`;
  }

  const current = (page: Route['page']) => (route.page === page ? 'page' : undefined);
  return html`<a class="skip-link" href="#main" onClick=${skipToContent}>Skip to content</a>
    <header class="banner">
      <p class="brand">Accord console</p>
      <nav aria-label="Main">
        <ul>
          <li><a href=${href({ page: 'agreements' })} aria-current=${current('agreements')}>Agreements</a></li>
        </ul>
      </nav>
      <div class="account">
        <span>Signed in as <strong>${partner.name}</strong> (${partner.domain})</span>
        <button type="button" onClick=${() => signOut()}>Sign out</button>
      </div>
    </header>
    <main id="main" tabindex="-1">
      ${statusRegion}
      <${Page} route=${route} api=${api} partner=${partner} announce=${announce} />
    </main>`;
}
