import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { type Agreement, isOpen, sideOf, termsOf } from '../../../shared/agreement.ts';
import type { RunView } from '../../../shared/run.ts';
import { describeTerms, type Side } from '../../../shared/terms.ts';
import { ApiError } from '../api.ts';
import type { PageProps } from '../app.ts';
import { compareWithPrevious, partyNames, showValue, termsHashInput } from '../model/terms-view.ts';
import { hasApprovedTerms, waitingOn } from '../model/waiting.ts';
import { ErrorMessage, Time, errorText, useBusy, useLoaded } from '../ui.ts';
import { AgreementHeader } from './agreement-header.ts';

/** `sha256:` + hex SHA-256 with WebCrypto, or undefined where the page is not a secure context (no crypto.subtle). */
async function sha256(text: string): Promise<string | undefined> {
  if (!globalThis.crypto?.subtle) return undefined;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return `sha256:${[...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

type HashCheck = { state: 'checking' } | { state: 'match' } | { state: 'mismatch'; computed: string } | { state: 'unavailable' };

/** Hashes the terms the page shows, to be sure the approval names exactly them. */
function useHashCheck(agreement: Agreement | undefined): HashCheck {
  const [check, setCheck] = useState<HashCheck>({ state: 'checking' });
  useEffect(() => {
    if (!agreement) return;
    let current = true;
    setCheck({ state: 'checking' });
    sha256(termsHashInput(agreement.terms)).then(
      (computed) => {
        if (!current) return;
        if (computed === undefined) setCheck({ state: 'unavailable' });
        else setCheck(computed === agreement.terms.hash ? { state: 'match' } : { state: 'mismatch', computed });
      },
      () => current && setCheck({ state: 'unavailable' }),
    );
    return () => {
      current = false;
    };
  }, [agreement?.terms.hash]);
  return check;
}

function Approvals({ agreement, mySide }: { agreement: Agreement; mySide: Side }) {
  const sides: Side[] = [mySide, mySide === 'proposer' ? 'counterparty' : 'proposer'];
  return html`<ul class="approvals">
    ${sides.map((side) => {
      const partnerId = side === 'proposer' ? agreement.proposerId : agreement.counterpartyId;
      const approval = agreement.approvals.find((a) => a.partnerId === partnerId && a.termsHash === agreement.terms.hash);
      const who = side === mySide ? 'You' : 'The partner';
      return html`<li>
        ${approval
          ? html`${who} approved version ${agreement.terms.version} on <${Time} at=${approval.at} />.`
          : html`${who} ${side === mySide ? 'have' : 'has'} not approved version ${agreement.terms.version}.`}
      </li>`;
    })}
  </ul>`;
}

function HashStatus({ check, hash }: { check: HashCheck; hash: string }) {
  switch (check.state) {
    case 'checking':
      return html`<p>Checking that the terms shown are the terms <code class="hash">${hash}</code>…</p>`;
    case 'match':
      return html`<p class="ok">The terms shown below hash to <code class="hash">${hash}</code>: approving approves exactly these terms.</p>`;
    case 'unavailable':
      return html`<p>This browser cannot hash the terms here (no WebCrypto outside HTTPS); the approval names the terms <code class="hash">${hash}</code>.</p>`;
    case 'mismatch':
      return html`<p class="error" role="alert">
        The terms shown hash to <code class="hash">${check.computed}</code>, not to <code class="hash">${hash}</code> as the API says. Do not approve; reload the page.
      </p>`;
  }
}

function Decision({ agreement, mySide, check, onApprove, onDecline }: {
  agreement: Agreement;
  mySide: Side;
  check: HashCheck;
  onApprove: () => Promise<void>;
  onDecline: (reason: string) => Promise<void>;
}) {
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, act] = useBusy();
  const canApprove = agreement.status === 'proposed' && agreement.counterpartyId !== undefined && !hasApprovedTerms(agreement, mySide);
  const canDecline = isOpen(agreement);
  if (!canApprove && !canDecline) return null;
  return html`<div class="decision">
    ${canApprove
      ? html`<button type="button" class="primary" disabled=${busy || check.state === 'mismatch' || check.state === 'checking'} onClick=${() => act(onApprove)}>
          Approve terms version ${agreement.terms.version}
        </button>`
      : null}
    ${canDecline && !declining
      ? html`<button type="button" class="danger" disabled=${busy} aria-expanded="false" aria-controls="decline-form" onClick=${() => setDeclining(true)}>Decline the agreement…</button>`
      : null}
    ${declining
      ? html`<form id="decline-form" class="decline" onSubmit=${(event: Event) => {
          event.preventDefault();
          void act(() => onDecline(reason));
        }}>
          <p>Declining ends the agreement for both sides; it cannot be undone.</p>
          <label for="decline-reason">Reason (optional; the partner sees it, and it is kept in the audit log)</label>
          <textarea id="decline-reason" rows="3" maxlength="1000" value=${reason} onInput=${(event: Event) => setReason((event.currentTarget as HTMLTextAreaElement).value)}></textarea>
          <div class="buttons">
            <button type="submit" class="danger" disabled=${busy}>Decline for good</button>
            <button type="button" disabled=${busy} onClick=${() => setDeclining(false)}>Keep the agreement</button>
          </div>
        </form>`
      : null}
  </div>`;
}

function Changes({ agreement, names }: { agreement: Agreement; names: ReturnType<typeof partyNames> }) {
  const comparison = compareWithPrevious(agreement, names);
  if (!comparison) return html`<p>This is the first version of the terms.</p>`;
  const from = comparison.previous.version;
  const to = agreement.terms.version;
  if (comparison.changes.length === 0) return html`<p>Version ${to} says the same as version ${from}.</p>`;
  return html`<h3>In words</h3>
    <div class="word-diff">
      <div>
        <h4>Version ${from} said, and version ${to} no longer says</h4>
        <ul class="removed">${comparison.removed.map((line) => html`<li><del>${line}</del></li>`)}</ul>
      </div>
      <div>
        <h4>Version ${to} says instead</h4>
        <ul class="added">${comparison.added.map((line) => html`<li><ins>${line}</ins></li>`)}</ul>
      </div>
    </div>
    <h3>Field by field</h3>
    <table class="diff">
      <caption>Fields of the terms that differ between version ${from} and version ${to}</caption>
      <thead>
        <tr><th scope="col">Field</th><th scope="col">Version ${from}</th><th scope="col">Version ${to}</th></tr>
      </thead>
      <tbody>
        ${comparison.changes.map(
          (change) => html`<tr key=${change.path}>
            <th scope="row"><code>${change.path}</code></th>
            <td>${showValue(change.before)}</td>
            <td>${showValue(change.after)}</td>
          </tr>`,
        )}
      </tbody>
    </table>`;
}

export function AgreementPage({ api, partner, announce, agreementId }: PageProps & { agreementId: string }) {
  const [loaded, reload] = useLoaded(async (): Promise<{ agreement: Agreement; run?: RunView | undefined }> => {
    const agreement = await api.agreement(agreementId);
    const run = agreement.status === 'awaiting_contributions' && agreement.currentRunId ? await api.run(agreement.id, agreement.currentRunId) : undefined;
    return { agreement, run };
  }, [api, agreementId]);
  const agreement = loaded.state === 'ok' ? loaded.data.agreement : undefined;
  const check = useHashCheck(agreement);
  const mySide = agreement ? (sideOf(agreement, partner.id) ?? 'proposer') : undefined;

  const header = html`<${AgreementHeader}
    agreementId=${agreementId}
    page="agreement"
    agreement=${agreement}
    mySide=${mySide}
    myPartnerId=${partner.id}
    waiting=${agreement && mySide ? waitingOn(agreement, mySide, loaded.state === 'ok' ? loaded.data.run : undefined) : undefined}
  />`;
  if (loaded.state === 'loading') return html`${header}<p aria-busy="true">Loading the agreement…</p>`;
  if (loaded.state === 'error' || !agreement || !mySide) return html`${header}<${ErrorMessage} error=${loaded.state === 'error' ? loaded.error : 'not found'} />`;

  const names = partyNames(mySide, partner.name);
  const approve = async () => {
    try {
      // The hash of the terms on this page: if they changed meanwhile, the API refuses it (stale_terms).
      await api.approveTerms(agreement, agreement.terms.hash);
      announce(`You approved terms version ${agreement.terms.version}.`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        announce(`Not approved: ${error.message}. The page now shows the current terms; read them before approving.`, 'error');
      } else {
        announce(`Not approved: ${errorText(error)}`, 'error');
      }
    }
    await reload();
  };
  const decline = async (reason: string) => {
    try {
      await api.decline(agreement, reason.trim() || undefined);
      announce('You declined the agreement; it has ended.');
    } catch (error) {
      announce(`Not declined: ${errorText(error)}`, 'error');
    }
    await reload();
  };

  return html`${header}
    <section aria-labelledby="approval-heading">
      <h2 id="approval-heading">Approval</h2>
      <${Approvals} agreement=${agreement} mySide=${mySide} />
      <${HashStatus} check=${check} hash=${agreement.terms.hash} />
      <${Decision} agreement=${agreement} mySide=${mySide} check=${check} onApprove=${approve} onDecline=${decline} />
    </section>
    <section aria-labelledby="changes-heading">
      <h2 id="changes-heading">Changes from the previous version</h2>
      <${Changes} agreement=${agreement} names=${names} />
    </section>
    <section aria-labelledby="terms-heading">
      <h2 id="terms-heading">The terms of version ${agreement.terms.version}, in plain language</h2>
      <ol class="terms">
        ${describeTerms(termsOf(agreement.terms), names).map((line) => html`<li>${line}</li>`)}
      </ol>
      <details>
        <summary>The terms as the API stores them (JSON)</summary>
        <pre tabindex="0">${JSON.stringify(termsOf(agreement.terms), null, 2)}</pre>
      </details>
    </section>`;
}
