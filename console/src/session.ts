/**
 * The signed-in API key lives in sessionStorage only: it is gone when the
 * browser tab closes, it is never written to localStorage or a cookie, and
 * it is sent only as the Authorization header of the console's API calls.
 */
const KEY = 'accord.apiKey';

export function storedKey(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function storeKey(apiKey: string): void {
  sessionStorage.setItem(KEY, apiKey);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY);
}
