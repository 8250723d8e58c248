/**
 * The API token this browser sends (servers with tokens configured require one). Kept in localStorage so
 * it survives reloads; never sent anywhere but this server.
 */
const STORAGE_KEY = 'modelport.apiToken';
const CHANGED = 'modelport:api-token-changed';

export function readApiToken(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function saveApiToken(token: string | null): void {
  try {
    if (token) window.localStorage.setItem(STORAGE_KEY, token);
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // storage disabled: the token lasts for this page only
  }
  window.dispatchEvent(new Event(CHANGED));
}

/** Calls `listener` whenever the token changes (in this tab). Returns the unsubscribe function. */
export function onApiTokenChange(listener: () => void): () => void {
  window.addEventListener(CHANGED, listener);
  return () => window.removeEventListener(CHANGED, listener);
}

export function authorizationHeader(): Record<string, string> {
  const token = readApiToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}
