import { describe, expect, it } from 'vitest';
import { DDSketch } from '@datadog/sketches-js';
import { ModelportError } from '../core/errors/index.js';
import { createLatencySketch, deserializeLatencySketch, type LatencySketch } from './latency-sketch.js';
import { exactQuantile, logNormalLatencies } from './testing/synthetic-latencies.js';

const QUANTILES = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999];

function sketchOf(values: readonly number[]): LatencySketch {
  const sketch = createLatencySketch();
  for (const value of values) sketch.add(value);
  return sketch;
}

function expectWithinOnePercent(actual: number | null, exact: number): void {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual ?? Number.NaN) - exact)).toBeLessThanOrEqual(exact * 0.01 + 1e-9);
}

describe('latency sketch', () => {
  const values = logNormalLatencies(100_000, 42);
  const sorted = [...values].sort((a, b) => a - b);

  it('answers quantiles within 1% of the exact value on 100k log-normal latencies', () => {
    const sketch = sketchOf(values);
    expect(sketch.count).toBe(100_000);
    for (const q of QUANTILES) expectWithinOnePercent(sketch.quantile(q), exactQuantile(sorted, q));
  });

  it('gives the same quantiles whether built whole or merged from parts', () => {
    const whole = sketchOf(values);
    const merged = createLatencySketch();
    for (let start = 0; start < values.length; start += 7_000) {
      merged.merge(sketchOf(values.slice(start, start + 7_000)));
    }
    expect(merged.count).toBe(whole.count);
    for (const q of QUANTILES) expect(merged.quantile(q)).toBe(whole.quantile(q));
  });

  it('gives the same quantiles when merged from serialized parts', () => {
    const whole = sketchOf(values);
    const merged = createLatencySketch();
    for (let start = 0; start < values.length; start += 1_000) {
      merged.mergeSerialized(sketchOf(values.slice(start, start + 1_000)).serialize());
    }
    expect(merged.count).toBe(whole.count);
    for (const q of QUANTILES) expect(merged.quantile(q)).toBe(whole.quantile(q));
  });

  it('round-trips through serialize and deserialize', () => {
    const original = sketchOf(values);
    const bytes = original.serialize();
    expect(bytes).toBeInstanceOf(Uint8Array);
    const copy = deserializeLatencySketch(bytes);
    expect(copy.count).toBe(original.count);
    for (const q of QUANTILES) expect(copy.quantile(q)).toBe(original.quantile(q));
    expect(copy.serialize()).toEqual(bytes);
  });

  it('keeps a busy minute small on disk', () => {
    const minute = sketchOf(values.slice(0, 20));
    expect(minute.serialize().length).toBeLessThan(100);
    expect(createLatencySketch().serialize().length).toBe(3);
  });

  it('agrees with a plain DDSketch on quantiles', () => {
    const reference = new DDSketch({ relativeAccuracy: 0.01 });
    for (const value of values) reference.accept(value);
    const sketch = sketchOf(values);
    for (const q of QUANTILES) expect(sketch.quantile(q)).toBe(reference.getValueAtQuantile(q));
  });

  it('handles zeros, sub-millisecond values and values around 1 ms (key 0) when merging', () => {
    const small = sketchOf([0, 0.2, 0.99, 1, 1]);
    const large = sketchOf([5, 50, 500]);
    large.merge(small);
    expect(large.count).toBe(8);
    expect(large.quantile(0)).toBe(0);
    expectWithinOnePercent(large.quantile(1), 500);
    expectWithinOnePercent(large.quantile(0.5), 1);
    const roundTripped = deserializeLatencySketch(large.serialize());
    expect(roundTripped.quantile(0.5)).toBe(large.quantile(0.5));
  });

  it('clamps NaN and negative values to 0 and absurd values to a day', () => {
    const sketch = sketchOf([Number.NaN, -5, Number.POSITIVE_INFINITY]);
    expect(sketch.count).toBe(3);
    expect(sketch.quantile(0)).toBe(0);
    expect(sketch.quantile(0.5)).toBe(0);
    expectWithinOnePercent(sketch.quantile(1), 86_400_000);
  });

  it('returns null quantiles when empty', () => {
    const sketch = createLatencySketch();
    expect(sketch.quantile(0.5)).toBeNull();
    expect(deserializeLatencySketch(sketch.serialize()).quantile(0.99)).toBeNull();
  });

  it('derives histogram counts from its bins', () => {
    const sketch = sketchOf([0, 5, 9, 11, 20, 99, 150, 5_000, 60_000]);
    expect(sketch.histogram([10, 100, 1_000])).toEqual([3, 3, 1, 2]);
    const big = sketchOf(values);
    const counts = big.histogram([10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000]);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(values.length);
    // Away from bucket edges the sketch-derived count matches the exact one within the 1% fuzz.
    const exactUnder1s = values.filter((value) => value <= 1_000).length;
    const sketchUnder1s = counts.slice(0, 7).reduce((sum, count) => sum + count, 0);
    expect(Math.abs(sketchUnder1s - exactUnder1s)).toBeLessThan(values.length * 0.005);
  });

  it('rejects bytes that are not a v1 sketch', () => {
    expect(() => deserializeLatencySketch(new Uint8Array([9, 0, 0]))).toThrow(ModelportError);
    expect(() => deserializeLatencySketch(new Uint8Array([1, 0, 2, 4]))).toThrow(/truncated/);
    expect(() => deserializeLatencySketch(new Uint8Array([1, 0, 0, 0]))).toThrow(/version 0/);
    expect(() => deserializeLatencySketch(new Uint8Array([1, 0, 1, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 1]))).toThrow(/over-long/);
  });

  it('reads sketches concatenated back to back as their merge, and no bytes as an empty sketch', () => {
    const parts = [values.slice(0, 10), values.slice(10, 500), [], values.slice(500, 2_000)].map((part) => sketchOf(part).serialize());
    const concatenated = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      concatenated.set(part, offset);
      offset += part.length;
    }
    const whole = sketchOf(values.slice(0, 2_000));
    const merged = deserializeLatencySketch(concatenated);
    expect(merged.count).toBe(2_000);
    for (const q of QUANTILES) expect(merged.quantile(q)).toBe(whole.quantile(q));
    expect(deserializeLatencySketch(new Uint8Array()).count).toBe(0);
  });
});
