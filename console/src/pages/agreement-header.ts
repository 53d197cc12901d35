import { html } from 'htm/preact';
import type { Agreement } from '../../../shared/agreement.ts';
import type { Side } from '../../../shared/terms.ts';
import { href, type Route } from '../model/route.ts';
import type { Waiting } from '../model/waiting.ts';
import { PageHeading, StatusBadge, Time } from '../ui.ts';

/** The heading, the agreement's own navigation and its key facts, on each of its pages. */
export function AgreementHeader({
  agreementId,
  page,
  agreement,
  mySide,
  myPartnerId,
  waiting,
}: {
  agreementId: string;
  page: Route['page'];
  agreement?: Agreement | undefined;
  mySide?: Side | undefined;
  myPartnerId: string;
  waiting?: Waiting | undefined;
}) {
  const tabs: { page: Route['page']; label: string }[] = [
    { page: 'agreement', label: 'Terms and approval' },
    { page: 'timeline', label: 'Run timeline' },
    { page: 'results', label: 'Results' },
    { page: 'referrals', label: 'Referrals' },
    { page: 'ledger', label: 'Ledger' },
  ];
  const partner = agreement ? (mySide === 'proposer' ? agreement.counterpartyId : agreement.proposerId) : undefined;
  return html`<p class="breadcrumb"><a href=${href({ page: 'agreements' })}>Agreements</a> ›</p>
    <${PageHeading}>Agreement <code>${agreementId}</code><//>
    <nav aria-label="This agreement" class="tabs">
      <ul>
        ${tabs.map(
          (tab) =>
            html`<li>
              <a href=${href({ page: tab.page as 'agreement', agreementId })} aria-current=${tab.page === page ? 'page' : undefined}>${tab.label}</a>
            </li>`,
        )}
      </ul>
    </nav>
    ${agreement
      ? html`<dl class="facts">
          <div><dt>Status</dt><dd><${StatusBadge} status=${agreement.status} /></dd></div>
          <div><dt>Waiting on</dt><dd>${waiting?.what ?? '…'}</dd></div>
          <div><dt>Your side</dt><dd>${mySide === 'proposer' ? 'proposer' : 'counterparty'}</dd></div>
          <div>
            <dt>The partner</dt>
            <dd><code>${partner ?? `invited: ${agreement.invitation?.email ?? 'by e-mail'}`}</code></dd>
          </div>
          <div>
            <dt>Terms</dt>
            <dd>
              version ${agreement.terms.version}, proposed by ${agreement.terms.proposedBy === myPartnerId ? 'you' : 'the partner'} on <${Time} at=${agreement.terms.proposedAt} />
            </dd>
          </div>
          <div><dt>Changed</dt><dd><${Time} at=${agreement.updatedAt} /></dd></div>
        </dl>`
      : null}`;
}
