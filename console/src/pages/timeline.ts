import { html } from 'htm/preact';
import { type Agreement, sideOf } from '../../../shared/agreement.ts';
import type { Contribution } from '../../../shared/contributions/contribution.ts';
import type { RunView } from '../../../shared/run.ts';
import type { AuditLog } from '../api.ts';
import type { PageProps } from '../app.ts';
import { timeline } from '../model/timeline.ts';
import { waitingOn } from '../model/waiting.ts';
import { ErrorMessage, Time, useLoaded } from '../ui.ts';
import { AgreementHeader } from './agreement-header.ts';

interface TimelineData {
  agreement: Agreement;
  audit: AuditLog;
  run?: RunView | undefined;
  contributions: Contribution[];
}

function RunFacts({ run, mySide }: { run: RunView; mySide: 'proposer' | 'counterparty' }) {
  const theirSide = mySide === 'proposer' ? 'counterparty' : 'proposer';
  const state = (done: boolean) => (done ? 'in' : 'not yet');
  return html`<dl class="facts">
    <div><dt>Run</dt><dd><code>${run.id}</code> (${run.status})</dd></div>
    <div><dt>Opened</dt><dd><${Time} at=${run.openedAt} /></dd></div>
    <div><dt>Contributions due</dt><dd><${Time} at=${run.deadline} /></dd></div>
    <div><dt>Your contribution</dt><dd>${state(run.contributed[mySide])}</dd></div>
    <div><dt>The partner’s contribution</dt><dd>${state(run.contributed[theirSide])}</dd></div>
  </dl>`;
}

export function TimelinePage({ api, partner, agreementId }: PageProps & { agreementId: string }) {
  const [loaded] = useLoaded(async (): Promise<TimelineData> => {
    const [agreement, audit] = await Promise.all([api.agreement(agreementId), api.audit(agreementId)]);
    const runId = agreement.currentRunId;
    const [run, contributions] = runId
      ? await Promise.all([api.run(agreementId, runId), api.contributions(agreementId, runId).then((list) => list.contributions)])
      : [undefined, []];
    return { agreement, audit, run, contributions };
  }, [api, agreementId]);

  const data = loaded.state === 'ok' ? loaded.data : undefined;
  const mySide = data ? (sideOf(data.agreement, partner.id) ?? 'proposer') : undefined;
  const header = html`<${AgreementHeader}
    agreementId=${agreementId}
    page="timeline"
    agreement=${data?.agreement}
    mySide=${mySide}
    myPartnerId=${partner.id}
    waiting=${data && mySide ? waitingOn(data.agreement, mySide, data.run) : undefined}
  />`;
  if (loaded.state === 'loading') return html`${header}<p aria-busy="true">Loading the timeline…</p>`;
  if (loaded.state === 'error' || !data || !mySide) return html`${header}<${ErrorMessage} error=${loaded.state === 'error' ? loaded.error : 'not found'} />`;

  const entries = timeline({ events: data.audit.events, run: data.run, contributions: data.contributions, myPartnerId: partner.id, now: new Date() });
  return html`${header}
    <section aria-labelledby="run-heading">
      <h2 id="run-heading">Current run</h2>
      ${data.run ? html`<${RunFacts} run=${data.run} mySide=${mySide} />` : html`<p>No run has opened yet: a run opens when both sides have approved the terms.</p>`}
    </section>
    <section aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      <p class=${data.audit.verification.ok ? 'ok' : 'error'}>
        ${data.audit.verification.ok
          ? 'The audit log verifies: every event is chained to the one before it, none was changed or removed.'
          : `The audit log does not verify: ${data.audit.verification.message ?? 'the chain is broken'}.`}
      </p>
      <ol class="timeline">
        ${entries.map(
          (entry, index) => html`<li key=${index} class=${`entry entry-${entry.kind} entry-${entry.when}`}>
            <${Time} at=${entry.at} />
            ${entry.when === 'upcoming' ? html`<span class="upcoming">upcoming</span>` : null}
            <span class="what">${entry.text}</span>
          </li>`,
        )}
      </ol>
    </section>`;
}
