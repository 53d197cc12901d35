import { html } from 'htm/preact';
import { type Agreement, sideOf } from '../../../shared/agreement.ts';
import type { Referral } from '../../../shared/referral.ts';
import { formatMoney, type Side } from '../../../shared/terms.ts';
import type { PageProps } from '../app.ts';
import { directionWords, pipeline, referralNextStep } from '../model/referrals.ts';
import { waitingOn } from '../model/waiting.ts';
import { ErrorMessage, Time, errorText, useBusy, useLoaded } from '../ui.ts';
import { AgreementHeader } from './agreement-header.ts';

const STAGE_WORDS: Record<Referral['stage'], string> = {
  proposed: 'proposed',
  accepted: 'accepted',
  opportunity: 'open deal',
  won: 'won',
  lost: 'lost',
  declined: 'declined',
  void: 'void',
};

function Money({ referral }: { referral: Referral }) {
  if (referral.deal) return html`deal ${formatMoney(referral.deal.amountMinor, referral.deal.currency)}`;
  if (referral.opportunity) return html`open deal ${formatMoney(referral.opportunity.amountMinor, referral.opportunity.currency)}`;
  return html`—`;
}

function ReferralActions({ referral, mySide, onAccept, onDecline }: {
  referral: Referral;
  mySide: Side;
  onAccept: (referral: Referral) => Promise<void>;
  onDecline: (referral: Referral) => Promise<void>;
}) {
  const [busy, run] = useBusy();
  if (referral.stage !== 'proposed' || referral.dispute) return null;
  const act = (action: (referral: Referral) => Promise<void>) => run(() => action(referral));
  const label = referral.account.name;
  return html`<div class="buttons">
    ${referral.registeredBy !== mySide
      ? html`<button type="button" class="primary" disabled=${busy} onClick=${() => act(onAccept)}>Accept<span class="visually-hidden"> the referral of ${label}</span></button>`
      : null}
    <button type="button" class="danger" disabled=${busy} onClick=${() => act(onDecline)}>
      ${referral.registeredBy === mySide ? 'Withdraw' : 'Decline'}<span class="visually-hidden"> the referral of ${label}</span>
    </button>
  </div>`;
}

export function ReferralsPage({ api, partner, announce, agreementId }: PageProps & { agreementId: string }) {
  const [loaded, reload] = useLoaded(async (): Promise<{ agreement: Agreement; referrals: Referral[] }> => {
    const [agreement, { referrals }] = await Promise.all([api.agreement(agreementId), api.referrals(agreementId)]);
    return { agreement, referrals };
  }, [api, agreementId]);
  const data = loaded.state === 'ok' ? loaded.data : undefined;
  const mySide = data ? (sideOf(data.agreement, partner.id) ?? 'proposer') : undefined;
  const header = html`<${AgreementHeader}
    agreementId=${agreementId}
    page="referrals"
    agreement=${data?.agreement}
    mySide=${mySide}
    myPartnerId=${partner.id}
    waiting=${data && mySide ? waitingOn(data.agreement, mySide) : undefined}
  />`;
  if (loaded.state === 'loading') return html`${header}<p aria-busy="true">Loading the referrals…</p>`;
  if (loaded.state === 'error' || !data || !mySide) return html`${header}<${ErrorMessage} error=${loaded.state === 'error' ? loaded.error : 'not found'} />`;

  const accept = async (referral: Referral) => {
    try {
      await api.acceptReferral(agreementId, referral.id);
      announce(`You accepted the referral of ${referral.account.name}.`);
    } catch (error) {
      announce(`Not accepted: ${errorText(error)}`, 'error');
    }
    await reload();
  };
  const decline = async (referral: Referral) => {
    try {
      await api.declineReferral(agreementId, referral.id, undefined);
      announce(`The referral of ${referral.account.name} is declined.`);
    } catch (error) {
      announce(`Not declined: ${errorText(error)}`, 'error');
    }
    await reload();
  };

  const stages = pipeline(data.referrals);
  return html`${header}
    <section aria-labelledby="pipeline-heading">
      <h2 id="pipeline-heading">Pipeline</h2>
      <table class="pipeline">
        <caption>Referrals of this agreement by stage</caption>
        <thead>
          <tr>${stages.map((stage) => html`<th scope="col">${STAGE_WORDS[stage.stage]}</th>`)}</tr>
        </thead>
        <tbody>
          <tr>
            ${stages.map(
              (stage) => html`<td>
                <span class="count">${stage.count}</span>
                ${stage.amounts.map((amount) => html`<span class="amount">${amount}</span>`)}
              </td>`,
            )}
          </tr>
        </tbody>
      </table>
    </section>
    <section aria-labelledby="referrals-heading">
      <h2 id="referrals-heading">Referrals</h2>
      ${data.referrals.length === 0
        ? html`<p>No referrals yet. Either side registers one on a match of released results (with the CLI or the API); both sides then see it here.</p>`
        : html`<table class="referrals">
            <caption>Every referral, oldest first; both sides see the same</caption>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Introduction</th>
                <th scope="col">Stage</th>
                <th scope="col">Deal</th>
                <th scope="col">Owed under the terms</th>
                <th scope="col">Waiting on</th>
              </tr>
            </thead>
            <tbody>
              ${data.referrals.map(
                (referral) => html`<tr key=${referral.id}>
                  <th scope="row">${referral.account.name}${referral.account.domain ? html` <code>${referral.account.domain}</code>` : null}</th>
                  <td>${directionWords(referral, mySide)} on <${Time} at=${referral.introducedAt} />${referral.note ? html`<div class="hint">${referral.note}</div>` : null}</td>
                  <td>${STAGE_WORDS[referral.stage]}${referral.dispute ? ' (disputed)' : ''}${referral.reason ? html`<div class="hint">${referral.reason}</div>` : null}</td>
                  <td><${Money} referral=${referral} /></td>
                  <td>
                    ${referral.attribution?.outcome === 'attributed'
                      ? html`<strong>${formatMoney(referral.attribution.totalMinor, referral.attribution.currency)}</strong>${referral.attribution.capped ? ' (capped)' : ''}: `
                      : null}${referral.attribution?.message ?? '—'}
                  </td>
                  <td>
                    ${referralNextStep(referral, mySide) ?? '—'}
                    <${ReferralActions} referral=${referral} mySide=${mySide} onAccept=${accept} onDecline=${decline} />
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>`}
    </section>`;
}
