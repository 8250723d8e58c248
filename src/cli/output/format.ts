/** Human formatting of the units the API returns: milliseconds, US dollars, token counts, ratios. */

const missing = '–';

/** `850 ms`, `1.24 s`, `2m 05s`, `1h 02m`; null (nothing measured) is a dash. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return missing;
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const totalSeconds = Math.round(ms / 1_000);
  if (totalSeconds < 3_600) return `${Math.floor(totalSeconds / 60)}m ${String(totalSeconds % 60).padStart(2, '0')}s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  return `${Math.floor(totalMinutes / 60)}h ${String(totalMinutes % 60).padStart(2, '0')}m`;
}

/**
 * Dollars with enough digits to see small per-request costs: `$0.00`, `$0.0012`, `$1.50`, `$1,234.00`.
 * null means no known price and reads "unpriced": a missing price is never shown as $0.
 */
export function formatUsd(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return 'unpriced';
  if (usd === 0) return '$0.00';
  const sign = usd < 0 ? '-' : '';
  const value = Math.abs(usd);
  if (value >= 0.01) return `${sign}$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  // Below a cent: two significant digits, so $0.000042 does not round to $0.00.
  return `${sign}$${value.toPrecision(2).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')}`;
}

/** `0`, `950`, `12,345`, `1.2M` (exact below a million, where the digits still mean something). */
export function formatTokens(count: number | null | undefined): string {
  if (count === null || count === undefined || !Number.isFinite(count)) return missing;
  if (Math.abs(count) < 1_000_000) return Math.round(count).toLocaleString('en-US');
  if (Math.abs(count) < 1_000_000_000) return `${(count / 1_000_000).toFixed(1)}M`;
  return `${(count / 1_000_000_000).toFixed(1)}B`;
}

/** A 0..1 ratio as `97.5%`; null (no requests) is a dash. */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return missing;
  const percent = ratio * 100;
  return `${Number.isInteger(percent) ? percent.toFixed(0) : percent.toFixed(1)}%`;
}

/** How long ago an ISO timestamp was: `just now`, `42s ago`, `5m ago`, `3h ago`, `2d ago`. */
export function formatAge(iso: string | null | undefined, now: number): string {
  if (!iso) return missing;
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return missing;
  const seconds = Math.max(0, Math.round((now - at) / 1_000));
  if (seconds < 2) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3_600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

/** Shortens text to `width` characters with an ellipsis. */
export function truncate(text: string, width: number): string {
  const characters = [...text];
  if (characters.length <= width) return text;
  return characters.slice(0, Math.max(0, width - 1)).join('') + '…';
}

/** Compact one-line JSON for values shown in tables and plan diffs (`{"id":"demo/cat"}`, `null`). */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(unset)';
  if (typeof value === 'string') return JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}
