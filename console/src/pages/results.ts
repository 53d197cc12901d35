import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { type Agreement, sideOf } from '../../../shared/agreement.ts';
import type { CellView, ResultsPreview, ResultsView, SeenOfMe } from '../../../shared/results.ts';
import type { Population } from '../../../shared/terms.ts';
import { ApiError } from '../api.ts';
import type { PageProps } from '../app.ts';
import { actsWords, cellName, cellOf, firstCell, heatOf, levelWords, matchesOf, maxCount, POPULATION_ORDER, populationWords } from '../model/nine-box.ts';
import { waitingOn } from '../model/waiting.ts';
import { ErrorMessage, Time, errorText, useBusy, useLoaded } from '../ui.ts';
import { AgreementHeader } from './agreement-header.ts';

type CellKey = { mine: Population; theirs: Population };

interface ResultsData {
  agreement: Agreement;
  runId?: string | undefined;
  preview?: ResultsPreview | undefined;
  released?: ResultsView | undefined;
  /** Why there is nothing to show, when there is not. */
  note?: string | undefined;
}

function countWords(cell: CellView): string {
  if (cell.count === null) return 'hidden';
  return `${cell.count} ${cell.count === 1 ? 'match' : 'matches'}`;
}

/** The 9-box as a table: rows are your populations, columns the partner's; each cell a button that shows its accounts below. */
function NineBox({ view, selected, onSelect, caption }: { view: ResultsView; selected: CellKey | undefined; onSelect: (cell: CellKey) => void; caption: string }) {
  const max = maxCount(view);
  return html`<table class="nine-box">
    <caption>${caption}</caption>
    <thead>
      <tr>
        <td></td>
        ${POPULATION_ORDER.map((theirs) => html`<th scope="col">The partner’s ${populationWords(theirs)}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${POPULATION_ORDER.map(
        (mine) => html`<tr>
          <th scope="row">Your ${populationWords(mine)}</th>
          ${POPULATION_ORDER.map((theirs) => {
            const cell = cellOf(view, mine, theirs);
            if (!cell) return html`<td class="heat-0">—</td>`;
            const isSelected = selected?.mine === mine && selected.theirs === theirs;
            return html`<td class=${`heat heat-${cell.level === 'hidden' ? 'hidden' : heatOf(cell.count, max)}`}>
              <button
                type="button"
                aria-pressed=${isSelected ? 'true' : 'false'}
                onClick=${() => onSelect({ mine, theirs })}
              >
                <span class="visually-hidden">${cellName(cell)}: </span>
                <span class="count">${cell.count === null ? 'hidden' : countWords(cell)}</span>
                <span class="play">${cell.rule.play}</span>
                <span class="level">${levelWords(cell)}</span>
              </button>
            </td>`;
          })}
        </tr>`,
      )}
    </tbody>
  </table>`;
}

function CellDetails({ view, cell }: { view: ResultsView; cell: CellView }) {
  const matches = matchesOf(view, cell);
  const name = cellName(cell);
  return html`<section class="cell-details" aria-labelledby="cell-heading">
    <h3 id="cell-heading">${name.charAt(0).toUpperCase()}${name.slice(1)}</h3>
    <dl class="facts">
      <div><dt>Matches</dt><dd>${countWords(cell)}</dd></div>
      <div><dt>You see</dt><dd>${levelWords(cell)}</dd></div>
      <div><dt>Play</dt><dd>${cell.rule.play}: ${actsWords(cell.rule.acts)}</dd></div>
    </dl>
    <p class="rule">${cell.rule.note}</p>
    ${cell.level !== 'accounts'
      ? html`<p>The terms show ${cell.level === 'hidden' ? 'nothing of this cell' : 'only the count of this cell'}: no accounts are listed.</p>`
      : matches.length === 0
        ? html`<p>No matches in this cell.</p>`
        : html`<table class="accounts">
            <caption>Matched accounts of ${name}</caption>
            <thead>
              <tr>
                <th scope="col">Your account</th>
                <th scope="col">The partner’s account</th>
                <th scope="col">Matched on</th>
                <th scope="col">Notes</th>
              </tr>
            </thead>
            <tbody>
              ${matches.map(
                (match) => html`<tr key=${match.matchId}>
                  <td>
                    ${match.mine.map(
                      (row) => html`<div>${row.name}${row.domain ? html` <code>${row.domain}</code>` : null} <span class="ref">(your ref ${row.ref})</span></div>`,
                    )}
                  </td>
                  <td>
                    ${match.theirs.map(
                      (account) => html`<div>
                        ${account.name}${account.domain ? html` <code>${account.domain}</code>` : null}
                        ${Object.entries(account.fields).map(([field, value]) => html`<span class="field">${field}: ${value}</span>`)}
                      </div>`,
                    )}
                  </td>
                  <td>${match.method === 'domain' ? 'web domain' : `company name (${Math.round(match.score * 100)}% similar)`}</td>
                  <td>${[match.isNew ? 'new' : '', match.flagged ? `flagged: ${match.flags.map((flag) => flag.reason).join('; ')}` : ''].filter(Boolean).join('; ') || '—'}</td>
                </tr>`,
              )}
            </tbody>
          </table>`}
  </section>`;
}

function ResultsHeatMap({ view, caption }: { view: ResultsView; caption: string }) {
  const [selected, setSelected] = useState<CellKey | undefined>(() => {
    const first = firstCell(view);
    return first ? { mine: first.mine, theirs: first.theirs } : undefined;
  });
  const cell = selected ? cellOf(view, selected.mine, selected.theirs) : undefined;
  return html`<${NineBox} view=${view} selected=${selected} onSelect=${setSelected} caption=${caption} />
    <p class="hint">Rows are your populations, columns the partner’s; darker cells hold more matches. Choose a cell to see its accounts and its rule of engagement.</p>
    ${cell ? html`<${CellDetails} view=${view} cell=${cell} />` : null}`;
}

function TheyWillSee({ seen }: { seen: SeenOfMe }) {
  return html`<table class="seen-of-me">
    <caption>What the partner will see of your matched accounts, cell by cell</caption>
    <thead>
      <tr><th scope="col">Cell</th><th scope="col">The partner sees</th><th scope="col">Your accounts shown</th></tr>
    </thead>
    <tbody>
      ${seen.cells.map(
        (cell) => html`<tr>
          <th scope="row">${cellName(cell)}</th>
          <td>${cell.level === 'hidden' ? 'nothing' : cell.level === 'count' ? 'a count' : `accounts${cell.fields.length > 0 ? ` with ${cell.fields.join(', ')}` : ''}`}</td>
          <td>${cell.level === 'accounts' ? (seen.matches.filter((match) => match.cell.mine === cell.mine && match.cell.theirs === cell.theirs).flatMap((match) => match.accounts.map((account) => account.name)).join(', ') || '—') : cell.count === null ? '—' : `${cell.count} counted`}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

function ResultsDecision({ preview, onApprove, onDecline }: { preview: ResultsPreview; onApprove: () => Promise<void>; onDecline: (reason: string) => Promise<void> }) {
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, act] = useBusy();
  if (preview.status !== 'awaiting_approval') return null;
  return html`<div class="decision">
    ${preview.approved.mine
      ? html`<p>You approved these results; ${preview.approved.theirs ? 'so did the partner.' : 'the partner has not yet.'}</p>`
      : html`<button type="button" class="primary" disabled=${busy} onClick=${() => act(onApprove)}>Approve the results for release</button>`}
    ${!declining
      ? html`<button type="button" class="danger" disabled=${busy} aria-expanded="false" aria-controls="decline-results-form" onClick=${() => setDeclining(true)}>Decline the results…</button>`
      : html`<form id="decline-results-form" class="decline" onSubmit=${(event: Event) => {
          event.preventDefault();
          void act(() => onDecline(reason));
        }}>
          <p>Declining withholds the results from both sides and deletes them; nothing is released.</p>
          <label for="decline-results-reason">Reason (optional; the partner sees it, and it is kept in the audit log)</label>
          <textarea id="decline-results-reason" rows="3" maxlength="1000" value=${reason} onInput=${(event: Event) => setReason((event.currentTarget as HTMLTextAreaElement).value)}></textarea>
          <div class="buttons">
            <button type="submit" class="danger" disabled=${busy}>Withhold the results</button>
            <button type="button" disabled=${busy} onClick=${() => setDeclining(false)}>Keep them</button>
          </div>
        </form>`}
  </div>`;
}

export function ResultsPage({ api, partner, announce, agreementId }: PageProps & { agreementId: string }) {
  const [loaded, reload] = useLoaded(async (): Promise<ResultsData> => {
    const agreement = await api.agreement(agreementId);
    const runId = agreement.currentRunId;
    if (!runId) return { agreement, note: 'No run has opened yet, so there are no results.' };
    if (agreement.terms.matching.mode === 'blind') {
      return {
        agreement,
        runId,
        note: `This agreement matches blind: Accord holds tokens, not your accounts, so its results are read where your list was blinded, with the CLI (accord results ${agreementId}; accord approve ${agreementId} to approve them).`,
      };
    }
    if (agreement.status === 'awaiting_release') {
      try {
        return { agreement, runId, preview: await api.resultsPreview(agreementId, runId) };
      } catch (error) {
        if (error instanceof ApiError && error.status === 403) return { agreement, runId, note: 'The results wait for both sides’ approvers; only approver and admin keys see them before release.' };
        if (error instanceof ApiError && error.code === 'results_not_ready') return { agreement, runId, note: 'Matching has finished; the results are being made ready for both sides’ approval. Look again in a moment.' };
        throw error;
      }
    }
    if (agreement.status === 'released') return { agreement, runId, released: await api.results(agreementId, runId) };
    if (agreement.status === 'withheld') return { agreement, runId, note: 'The results of this run were withheld: nothing was released, and they were deleted.' };
    return { agreement, runId, note: 'The current run has no results yet: they come after both contributions are in and matching has finished.' };
  }, [api, agreementId]);

  const data = loaded.state === 'ok' ? loaded.data : undefined;
  const mySide = data ? (sideOf(data.agreement, partner.id) ?? 'proposer') : undefined;
  const header = html`<${AgreementHeader}
    agreementId=${agreementId}
    page="results"
    agreement=${data?.agreement}
    mySide=${mySide}
    myPartnerId=${partner.id}
    waiting=${data && mySide ? waitingOn(data.agreement, mySide) : undefined}
  />`;
  if (loaded.state === 'loading') return html`${header}<p aria-busy="true">Loading the results…</p>`;
  if (loaded.state === 'error' || !data) return html`${header}<${ErrorMessage} error=${loaded.state === 'error' ? loaded.error : 'not found'} />`;

  const { preview, released, runId } = data;
  const approve = async () => {
    if (!preview || !runId) return;
    try {
      const state = await api.approveResults(agreementId, runId, preview.resultHash);
      announce(state.status === 'released' ? 'You approved the results: both sides have, and they are released.' : 'You approved the results; they are released when the partner approves them too.');
    } catch (error) {
      announce(`Not approved: ${errorText(error)}`, 'error');
    }
    await reload();
  };
  const decline = async (reason: string) => {
    if (!runId) return;
    try {
      await api.declineResults(agreementId, runId, reason.trim() || undefined);
      announce('You declined the results: they are withheld.');
    } catch (error) {
      announce(`Not declined: ${errorText(error)}`, 'error');
    }
    await reload();
  };

  return html`${header}
    ${data.note ? html`<p>${data.note}</p>` : null}
    ${preview
      ? html`<section aria-labelledby="release-heading">
            <h2 id="release-heading">Release</h2>
            <p>
              Both sides approve these results before either sees them; without both approvals by <${Time} at=${preview.approvalDeadline} />, nothing is released.
              The approval names the results <code class="hash">${preview.resultHash}</code>.
            </p>
            <${ResultsDecision} preview=${preview} onApprove=${approve} onDecline=${decline} />
          </section>
          <section aria-labelledby="you-will-see-heading">
            <h2 id="you-will-see-heading">What you will see</h2>
            <${ResultsHeatMap} view=${preview.youWillSee} caption="Matches you will see, by your population (rows) and the partner’s (columns)" />
          </section>
          <section aria-labelledby="they-will-see-heading">
            <h2 id="they-will-see-heading">What the partner will see of you</h2>
            <${TheyWillSee} seen=${preview.theyWillSee} />
          </section>`
      : null}
    ${released
      ? html`<section aria-labelledby="nine-box-heading">
          <h2 id="nine-box-heading">The 9-box</h2>
          <p>
            Released ${released.releasedAt ? html`on <${Time} at=${released.releasedAt} />` : ''}${released.expiresAt ? html`; deleted on <${Time} at=${released.expiresAt} />` : ''}.
          </p>
          <p>${released.newCount} new ${released.newCount === 1 ? 'match' : 'matches'}, ${released.flaggedCount} flagged.</p>
          <${ResultsHeatMap} view=${released} caption="Matches by your population (rows) and the partner’s (columns)" />
        </section>`
      : null}`;
}
