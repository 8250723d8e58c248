/**
 * Removes secrets from text before it goes into an error message or a log line.
 *
 * Providers echo what they received (a key in a 401 body, a URL with a token in a 400 body), so every
 * message built from a provider's answer passes through here.
 */

export const REDACTED = '[redacted]';

/**
 * Values shorter than this are not treated as secrets: replacing every "a" or "ab" would mangle messages,
 * and no real credential is that short. Matches the logger's threshold.
 */
export const MIN_SECRET_LENGTH = 4;

/** Header names whose values are credentials. Lower-case. */
const sensitiveHeaderNames = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-auth-token',
  'cookie',
]);

/** Replaces every occurrence of each secret (and its URL- and JSON-escaped forms) and any bearer token. */
export function redact(text: string, secrets: Iterable<string | null | undefined>): string {
  const variants = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) continue;
    variants.add(secret);
    variants.add(encodeURIComponent(secret));
    variants.add(JSON.stringify(secret).slice(1, -1));
  }
  // Longest first, so a secret that contains another is removed whole.
  let result = text;
  for (const variant of [...variants].sort((a, b) => b.length - a.length)) {
    if (variant.length >= MIN_SECRET_LENGTH) result = result.split(variant).join(REDACTED);
  }
  // A bearer token we were not told about (a provider echoing some other header) still never shows.
  // Only "Bearer": "Token"/"Basic" occur in ordinary prose ("Token limit exceeded").
  return result.replace(/\b(Bearer)\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]{4,}/gi, `$1 ${REDACTED}`);
}

/** Whether a header carries a credential. */
export function isSensitiveHeader(name: string): boolean {
  return sensitiveHeaderNames.has(name.toLowerCase());
}

/**
 * Every secret a request may carry: credential values, and the values of credential headers both whole
 * and without their scheme (`Bearer abc` → `abc`).
 */
export function collectSecrets(credentials: Record<string, string>, headers: Record<string, string> = {}): string[] {
  const secrets = Object.values(credentials);
  for (const [name, value] of Object.entries(headers)) {
    if (!isSensitiveHeader(name)) continue;
    secrets.push(value);
    const token = /^\s*\S+\s+(\S.*)$/.exec(value)?.[1];
    if (token !== undefined) secrets.push(token);
  }
  return secrets;
}
