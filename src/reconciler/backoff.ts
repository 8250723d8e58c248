/** Exponential backoff with full jitter: uniformly random in [0, min(cap, base·2^attempt)]. */
export function backoffMs(attempt: number, baseMs = 500, capMs = 30_000, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
