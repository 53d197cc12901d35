/**
 * The console's pages, addressed by the URL's fragment (`#/agreements/agr_…`)
 * so the API serves one page at /console and every link is a real link.
 */
export type Route =
  | { page: 'agreements' }
  | { page: 'agreement'; agreementId: string }
  | { page: 'timeline'; agreementId: string }
  | { page: 'results'; agreementId: string }
  | { page: 'referrals'; agreementId: string }
  | { page: 'ledger'; agreementId: string }
  | { page: 'not-found'; hash: string };

type AgreementPage = Extract<Route, { agreementId: string }>['page'];

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/agreements') return { page: 'agreements' };
  const agreement = /^\/agreements\/(agr_[0-9a-z]+)(?:\/(timeline|results|referrals|ledger))?$/.exec(path);
  if (agreement?.[1]) return { page: (agreement[2] as AgreementPage | undefined) ?? 'agreement', agreementId: agreement[1] };
  return { page: 'not-found', hash };
}

export function href(route: Route): string {
  switch (route.page) {
    case 'agreements':
      return '#/agreements';
    case 'agreement':
      return `#/agreements/${route.agreementId}`;
    case 'timeline':
      return `#/agreements/${route.agreementId}/timeline`;
    case 'results':
    case 'referrals':
    case 'ledger':
      return `#/agreements/${route.agreementId}/${route.page}`;
    case 'not-found':
      return route.hash;
  }
}
