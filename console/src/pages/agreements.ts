import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { AGREEMENT_STATUSES, type Agreement, type AgreementStatus, sideOf } from '../../../shared/agreement.ts';
import type { RunView } from '../../../shared/run.ts';
import type { PageProps } from '../app.ts';
import { href } from '../model/route.ts';
import { waitingOn } from '../model/waiting.ts';
import { ErrorMessage, PageHeading, StatusBadge, Time, statusWords, useLoaded } from '../ui.ts';

interface Row {
  agreement: Agreement;
  run?: RunView | undefined;
}

function partnerOf(agreement: Agreement, myPartnerId: string): string {
  const other = agreement.proposerId === myPartnerId ? agreement.counterpartyId : agreement.proposerId;
  return other ?? `invited: ${agreement.invitation?.email ?? 'by e-mail'}`;
}

export function AgreementsPage({ api, partner }: PageProps) {
  const [status, setStatus] = useState<AgreementStatus | ''>('');
  const [loaded] = useLoaded(async (): Promise<Row[]> => {
    const { agreements } = await api.agreements(status || undefined);
    // Whose contribution is missing is on the run, not the agreement.
    return Promise.all(
      agreements.map(async (agreement) => ({
        agreement,
        run: agreement.status === 'awaiting_contributions' && agreement.currentRunId ? await api.run(agreement.id, agreement.currentRunId) : undefined,
      })),
    );
  }, [api, status]);

  return html`<${PageHeading}>Agreements<//>
    <form class="filters" onSubmit=${(event: Event) => event.preventDefault()}>
      <label for="status-filter">Show</label>
      <select id="status-filter" value=${status} onChange=${(event: Event) => setStatus((event.currentTarget as HTMLSelectElement).value as AgreementStatus | '')}>
        <option value="">all statuses</option>
        ${AGREEMENT_STATUSES.map((value) => html`<option value=${value}>${statusWords(value)}</option>`)}
      </select>
    </form>
    ${loaded.state === 'loading'
      ? html`<p aria-busy="true">Loading agreements…</p>`
      : loaded.state === 'error'
        ? html`<${ErrorMessage} error=${loaded.error} />`
        : loaded.data.length === 0
          ? html`<p>No agreements${status ? ` ${statusWords(status)}` : ''} yet. Agreements are proposed with the CLI or the API.</p>`
          : html`<table class="agreements">
              <caption>
                Agreements of ${partner.name}, most recently changed first
              </caption>
              <thead>
                <tr>
                  <th scope="col">Agreement</th>
                  <th scope="col">Partner</th>
                  <th scope="col">Status</th>
                  <th scope="col">Waiting on</th>
                  <th scope="col">Terms</th>
                  <th scope="col">Changed</th>
                </tr>
              </thead>
              <tbody>
                ${loaded.data.map(({ agreement, run }) => {
                  const side = sideOf(agreement, partner.id) ?? 'proposer';
                  const waiting = waitingOn(agreement, side, run);
                  return html`<tr key=${agreement.id}>
                    <th scope="row"><a href=${href({ page: 'agreement', agreementId: agreement.id })}>${agreement.id}</a></th>
                    <td><code>${partnerOf(agreement, partner.id)}</code></td>
                    <td><${StatusBadge} status=${agreement.status} /></td>
                    <td class=${`waiting waiting-${waiting.on}`}>${waiting.what}</td>
                    <td>version ${agreement.terms.version}</td>
                    <td><${Time} at=${agreement.updatedAt} /></td>
                  </tr>`;
                })}
              </tbody>
            </table>`}`;
}
