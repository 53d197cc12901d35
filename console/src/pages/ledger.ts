import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { type Agreement, sideOf } from '../../../shared/agreement.ts';
import { formatMoney } from '../../../shared/terms.ts';
import type { Api, Ledger } from '../api.ts';
import type { PageProps } from '../app.ts';
import { balanceWords, entryAmount } from '../model/referrals.ts';
import { waitingOn } from '../model/waiting.ts';
import { ErrorMessage, Time, errorText, useBusy, useLoaded } from '../ui.ts';
import { AgreementHeader } from './agreement-header.ts';

const KIND_WORDS = { referral_fee: 'referral fee', revenue_share: 'revenue share' } as const;

/** Fetches a month's statement (CSV) with the key and hands it to the browser as a download. */
function Statement({ api, agreementId, announce }: { api: Api; agreementId: string; announce: PageProps['announce'] }) {
  const [month, setMonth] = useState(() => new Date().toISOString().slice(0, 7));
  const [busy, run] = useBusy();
  const download = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      try {
        const csv = await api.ledgerStatement(agreementId, month);
        const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
        const link = document.createElement('a');
        link.href = url;
        link.download = `accord-${agreementId}-${month}.csv`;
        link.click();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
        announce(`The statement of ${month} is downloaded.`);
      } catch (error) {
        announce(`No statement: ${errorText(error)}`, 'error');
      }
    });
  };
  return html`<form class="filters" onSubmit=${download}>
    <label for="statement-month">Statement of the month</label>
    <input id="statement-month" type="month" required value=${month} onInput=${(event: Event) => setMonth((event.currentTarget as HTMLInputElement).value)} />
    <button type="submit" disabled=${busy || !/^\d{4}-\d{2}$/.test(month)}>Download CSV</button>
  </form>`;
}

export function LedgerPage({ api, partner, announce, agreementId }: PageProps & { agreementId: string }) {
  const [loaded] = useLoaded(async (): Promise<{ agreement: Agreement; ledger: Ledger }> => {
    const [agreement, ledger] = await Promise.all([api.agreement(agreementId), api.ledger(agreementId)]);
    return { agreement, ledger };
  }, [api, agreementId]);
  const data = loaded.state === 'ok' ? loaded.data : undefined;
  const mySide = data ? (sideOf(data.agreement, partner.id) ?? 'proposer') : undefined;
  const header = html`<${AgreementHeader}
    agreementId=${agreementId}
    page="ledger"
    agreement=${data?.agreement}
    mySide=${mySide}
    myPartnerId=${partner.id}
    waiting=${data && mySide ? waitingOn(data.agreement, mySide) : undefined}
  />`;
  if (loaded.state === 'loading') return html`${header}<p aria-busy="true">Loading the ledger…</p>`;
  if (loaded.state === 'error' || !data) return html`${header}<${ErrorMessage} error=${loaded.state === 'error' ? loaded.error : 'not found'} />`;

  const { ledger } = data;
  const who = (partnerId: string) => (partnerId === partner.id ? 'you' : 'the partner');
  return html`${header}
    <section aria-labelledby="balance-heading">
      <h2 id="balance-heading">Balance</h2>
      ${ledger.balances.length === 0
        ? html`<p>Nothing is owed: no won referral has booked a fee or a share yet.</p>`
        : html`<ul class="balances">${ledger.balances.map((balance) => html`<li>${balanceWords(balance, partner.id)}</li>`)}</ul>`}
      <${Statement} api=${api} agreementId=${agreementId} announce=${announce} />
    </section>
    <section aria-labelledby="entries-heading">
      <h2 id="entries-heading">Entries</h2>
      ${ledger.entries.length === 0
        ? html`<p>No entries yet.</p>`
        : html`<table class="ledger">
            <caption>Ledger entries in ${ledger.currency}, oldest first; entries are never changed, only reversed</caption>
            <thead>
              <tr>
                <th scope="col">Booked</th>
                <th scope="col">Account</th>
                <th scope="col">Kind</th>
                <th scope="col">Paid by</th>
                <th scope="col">Paid to</th>
                <th scope="col">Computed from</th>
                <th scope="col" class="number">Amount</th>
              </tr>
            </thead>
            <tbody>
              ${ledger.entries.map(
                (entry) => html`<tr key=${entry.id}>
                  <td><${Time} at=${entry.bookedAt} /></td>
                  <th scope="row">${entry.account.name}</th>
                  <td>${KIND_WORDS[entry.kind]}${entry.reversesEntryId ? ' (reversal)' : ''}</td>
                  <td>${who(entry.payerId)}</td>
                  <td>${who(entry.payeeId)}</td>
                  <td>${(entry.basis.bps / 100).toString()}% of ${formatMoney(entry.basis.amountMinor, entry.basis.currency)}${entry.basis.currency !== entry.currency ? ` at ${entry.basis.exchangeRate}` : ''}</td>
                  <td class="number">${entryAmount(entry)}</td>
                </tr>`,
              )}
            </tbody>
          </table>`}
    </section>`;
}
