import { html } from 'htm/preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { AgreementStatus } from '../../shared/agreement.ts';
import { ApiError } from './api.ts';

/** A time as the console shows it everywhere: in UTC, unambiguous for both partners. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' })} UTC`;
}

export function Time({ at }: { at: string }) {
  return html`<time datetime=${at}>${formatTime(at)}</time>`;
}

const STATUS_WORDS: Record<AgreementStatus, string> = {
  proposed: 'proposed',
  awaiting_contributions: 'awaiting contributions',
  lapsed: 'lapsed',
  matching: 'matching',
  awaiting_release: 'awaiting release',
  released: 'released',
  withheld: 'withheld',
  declined: 'declined',
  withdrawn: 'withdrawn',
  expired: 'expired',
};

export function statusWords(status: AgreementStatus): string {
  return STATUS_WORDS[status];
}

export function StatusBadge({ status }: { status: AgreementStatus }) {
  return html`<span class=${`badge badge-${status}`}>${statusWords(status)}</span>`;
}

/** What went wrong, for a person. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

export function ErrorMessage({ error }: { error: unknown }) {
  return html`<p class="error" role="alert">${errorText(error)}</p>`;
}

export type Loaded<T> = { state: 'loading' } | { state: 'error'; error: unknown } | { state: 'ok'; data: T };

/** Loads `load()` when `deps` change; `reload` loads again, keeping the data shown until the new data is in. */
export function useLoaded<T>(load: () => Promise<T>, deps: readonly unknown[]): [Loaded<T>, () => Promise<void>] {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const run = useCallback(load, deps);
  const reload = useCallback(async () => {
    try {
      setLoaded({ state: 'ok', data: await run() });
    } catch (error) {
      setLoaded({ state: 'error', error });
    }
  }, [run]);
  useEffect(() => {
    let current = true;
    setLoaded({ state: 'loading' });
    run().then(
      (data) => current && setLoaded({ state: 'ok', data }),
      (error: unknown) => current && setLoaded({ state: 'error', error }),
    );
    return () => {
      current = false;
    };
  }, [run]);
  return [loaded, reload];
}

/** Whether an action is under way, and a runner that marks it so while it runs (buttons disable on `busy`). */
export function useBusy(): [boolean, (action: () => Promise<void>) => Promise<void>] {
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    try {
      await action();
    } finally {
      setBusy(false);
    }
  };
  return [busy, run];
}

/** The page's heading: focused after navigation so that screen readers start there. */
export function PageHeading({ children }: { children: unknown }) {
  return html`<h1 id="page-heading" tabindex="-1">${children}</h1>`;
}
