import { createHash } from 'node:crypto';

/**
 * Remembers the tenant short code per (control-plane URL, token), so the current-user call is made once
 * per token and process, not once per request. Keys are hashes: the cache never holds a token. A failed
 * lookup is forgotten, so the next call asks again; concurrent callers share one lookup.
 */
export interface TenantCache {
  resolve(baseUrl: string, token: string, lookup: () => Promise<string>): Promise<string>;
  /** Forgets every entry (tests; a token revoked mid-process). */
  clear(): void;
}

export function createTenantCache(): TenantCache {
  const entries = new Map<string, Promise<string>>();
  const keyOf = (baseUrl: string, token: string) => createHash('sha256').update(`${baseUrl}\n${token}`).digest('hex');
  return {
    resolve(baseUrl, token, lookup) {
      const key = keyOf(baseUrl, token);
      const cached = entries.get(key);
      if (cached) return cached;
      const pending = lookup();
      entries.set(key, pending);
      pending.catch(() => {
        if (entries.get(key) === pending) entries.delete(key);
      });
      return pending;
    },
    clear: () => entries.clear(),
  };
}
