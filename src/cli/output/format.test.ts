import { describe, expect, it } from 'vitest';
import { createStyle, stripAnsi } from './style.js';
import { formatAge, formatMs, formatPercent, formatTokens, formatUsd, truncate } from './format.js';
import { renderDetails, renderTable } from './table.js';
import { formatTestSummary } from './test-summary.js';

describe('formatting', () => {
  it('formats durations from milliseconds', () => {
    expect(formatMs(0)).toBe('0 ms');
    expect(formatMs(849.6)).toBe('850 ms');
    expect(formatMs(1_234)).toBe('1.23 s');
    expect(formatMs(12_340)).toBe('12.3 s');
    expect(formatMs(125_000)).toBe('2m 05s');
    expect(formatMs(3_720_000)).toBe('1h 02m');
    expect(formatMs(null)).toBe('–');
  });

  it('formats dollars, keeping small amounts visible and never showing a missing price as $0', () => {
    expect(formatUsd(null)).toBe('unpriced');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(1.5)).toBe('$1.50');
    expect(formatUsd(1234.5)).toBe('$1,234.50');
    expect(formatUsd(0.0012)).toBe('$0.0012');
    expect(formatUsd(0.000042)).toBe('$0.000042');
    expect(formatUsd(0.00126)).toBe('$0.0013');
  });

  it('formats token counts and ratios', () => {
    expect(formatTokens(12_345)).toBe('12,345');
    expect(formatTokens(2_500_000)).toBe('2.5M');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0.9166)).toBe('91.7%');
    expect(formatPercent(null)).toBe('–');
  });

  it('formats ages and truncates', () => {
    const now = Date.parse('2025-01-01T12:00:00Z');
    expect(formatAge('2025-01-01T11:59:30Z', now)).toBe('30s ago');
    expect(formatAge('2025-01-01T09:00:00Z', now)).toBe('3h ago');
    expect(truncate('abcdef', 4)).toBe('abc…');
  });
});

describe('tables', () => {
  it('aligns columns, ignoring colour codes, without trailing spaces', () => {
    const style = createStyle(true);
    const text = renderTable([{ header: 'NAME' }, { header: 'N', align: 'right' }, { header: 'STATUS' }], [
      ['a', '1', style.status('active')],
      ['longer-name', '100', style.status('failed')],
    ]);
    expect(stripAnsi(text)).toBe(['NAME           N  STATUS', 'a              1  active', 'longer-name  100  failed'].join('\n') + '\n');
    expect(text).toContain('\u001b[32mactive');
  });

  it('aligns detail keys', () => {
    expect(renderDetails([['a', '1'], ['long key', '2']])).toBe('a         1\nlong key  2\n');
  });
});

describe('test summary', () => {
  it('shows TTFT, latency, tokens and cost, and "unpriced" for a null cost', () => {
    const result = { id: 't', success: true, output: 'x', finishReason: 'length', latencyMs: 450, ttftMs: 120, usage: { inputTokens: 12, outputTokens: 8, estimated: true }, costUsd: null, error: null, at: '' };
    expect(formatTestSummary(result, createStyle(false))).toBe('TTFT 120 ms · latency 450 ms · tokens 12 in / 8 out (estimated) · cost unpriced · finish length');
  });
});
