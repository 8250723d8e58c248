import { DDSketch } from '@datadog/sketches-js';
import { InternalError } from '../core/errors/index.js';

/**
 * Latency distributions as DDSketches (relative accuracy 1%): mergeable across minutes and processes,
 * so a percentile over 30 days merges ~43k small per-minute sketches instead of reading every request.
 *
 * The in-memory sketch, its mapping and its quantile maths are @datadog/sketches-js. Only the byte
 * format is ours. sketches-js's `toProto()` writes every allocated bin as a packed double (its dense
 * store grows in chunks of 128), so a minute holding 20 requests takes ~2 KB, and `fromProto()`
 * decodes at ~30 µs per sketch: ~1.5 s for a 30-day query, against a 50 ms budget. The compact format
 * below stores only non-empty bins as varints (a 20-request minute takes ~40 bytes) and is merged
 * straight from bytes into an accumulating sketch without building a DDSketch per row.
 *
 * Format v1 (implies a logarithmic mapping with relative accuracy 0.01 and offset 0; change either and
 * the version must change). It is self-delimiting, so sketches concatenated back to back (e.g. by a
 * SQL aggregate over rows) still read as their merge:
 *   u8      version = 1
 *   varint  zeroCount
 *   varint  number of non-empty bins
 *   per bin, ascending by key: zigzag varint key delta (the first is the key itself), varint count
 */

/** Relative accuracy of every sketch modelport writes. Part of the stored format. */
export const SKETCH_RELATIVE_ACCURACY = 0.01;

/**
 * Values are clamped into this range before being added: negative or NaN latencies (clock skew, a bug
 * upstream) count as 0, and anything beyond a day is recorded as a day, so one absurd value can neither
 * corrupt a sketch nor make its bin array huge.
 */
export const MAX_SKETCH_VALUE_MS = 86_400_000;

const FORMAT_VERSION = 1;

/** A mergeable latency distribution in milliseconds. Not safe to share between concurrent writers. */
export interface LatencySketch {
  /** Number of values added (including merged ones). */
  readonly count: number;
  /** Adds one value in ms (clamped to [0, MAX_SKETCH_VALUE_MS]; NaN counts as 0). */
  add(valueMs: number): void;
  /** Adds every value of `other` to this sketch; `other` is unchanged. */
  merge(other: LatencySketch): void;
  /**
   * Adds serialized sketches' values to this one without materialising them: the fast path for
   * merging many stored rows. `bytes` may hold several sketches back to back (what a SQL
   * `string_agg` / `group_concat` of the column yields), or none. Throws InternalError when the bytes
   * are not v1 sketches; this sketch is then unusable.
   */
  mergeSerialized(bytes: Uint8Array): void;
  /**
   * The value at quantile `q` (0..1), within 1% of the exact value at rank ⌊q·(n−1)⌋;
   * null when the sketch is empty.
   */
  quantile(q: number): number | null;
  /**
   * Counts per bucket for ascending upper bounds `boundsMs`; the result has one more entry than
   * `boundsMs`, the last being the values above the last bound. Derived from the sketch's bins, so a
   * value within 1% of a bound may be counted in the neighbouring bucket.
   */
  histogram(boundsMs: readonly number[]): number[];
  /** The compact v1 byte format (see the file comment). */
  serialize(): Uint8Array;
}

/** A new empty sketch with 1% relative accuracy. */
export function createLatencySketch(): LatencySketch {
  return new DDLatencySketch();
}

/**
 * Rebuilds a sketch from `serialize()` output (or several concatenated: their merge). Throws
 * InternalError on malformed bytes.
 */
export function deserializeLatencySketch(bytes: Uint8Array): LatencySketch {
  const sketch = new DDLatencySketch();
  sketch.mergeSerialized(bytes);
  return sketch;
}

class DDLatencySketch implements LatencySketch {
  readonly #sketch = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });

  get count(): number {
    return this.#sketch.count;
  }

  add(valueMs: number): void {
    // `valueMs > 0` is false for NaN as well as for negatives.
    const value = valueMs > 0 ? Math.min(valueMs, MAX_SKETCH_VALUE_MS) : 0;
    this.#sketch.accept(value);
  }

  merge(other: LatencySketch): void {
    if (!(other instanceof DDLatencySketch)) {
      this.mergeSerialized(other.serialize());
      return;
    }
    // Bin by bin through `store.add` rather than DDSketch.merge: sketches-js 2.1.1's store merge
    // mis-sizes its range when the other store's largest key is 0 (values near 1 ms).
    const source = other.#sketch;
    const { bins, offset } = source.store;
    let added = source.zeroCount;
    for (let index = 0; index < bins.length; index++) {
      const count = bins[index];
      if (count === undefined || count === 0) continue;
      this.#sketch.store.add(index + offset, count);
      added += count;
    }
    this.#sketch.zeroCount += source.zeroCount;
    this.#sketch.count += added;
  }

  mergeSerialized(bytes: Uint8Array): void {
    const reader = new ByteReader(bytes);
    const store = this.#sketch.store;
    let zeroCount = 0;
    let added = 0;
    while (!reader.atEnd()) {
      const version = reader.byte();
      if (version !== FORMAT_VERSION) {
        throw new InternalError(`Unsupported latency sketch format version ${version}`);
      }
      zeroCount += reader.varint();
      const binCount = reader.varint();
      let key = 0;
      for (let bin = 0; bin < binCount; bin++) {
        const delta = reader.varint();
        key = bin === 0 ? unzigzag(delta) : key + delta;
        const count = reader.varint();
        store.add(key, count);
        added += count;
      }
    }
    this.#sketch.zeroCount += zeroCount;
    this.#sketch.count += zeroCount + added;
  }

  quantile(q: number): number | null {
    if (this.#sketch.count === 0) return null;
    const value = this.#sketch.getValueAtQuantile(q);
    return Number.isNaN(value) ? null : value;
  }

  histogram(boundsMs: readonly number[]): number[] {
    const counts = new Array<number>(boundsMs.length + 1).fill(0);
    const addTo = (value: number, count: number): void => {
      const index = bucketIndex(boundsMs, value);
      counts[index] = (counts[index] ?? 0) + count;
    };
    addTo(0, this.#sketch.zeroCount);
    const { bins, offset } = this.#sketch.store;
    const mapping = this.#sketch.mapping;
    for (let index = 0; index < bins.length; index++) {
      const count = bins[index];
      if (count === undefined || count === 0) continue;
      addTo(mapping.value(index + offset), count);
    }
    return counts;
  }

  serialize(): Uint8Array {
    const { bins, offset } = this.#sketch.store;
    let nonEmpty = 0;
    for (const count of bins) if (count !== 0) nonEmpty++;
    const writer = new ByteWriter(1 + 2 * MAX_VARINT_BYTES + nonEmpty * 2 * MAX_VARINT_BYTES);
    writer.byte(FORMAT_VERSION);
    writer.varint(this.#sketch.zeroCount);
    writer.varint(nonEmpty);
    let previousKey: number | null = null;
    for (let index = 0; index < bins.length; index++) {
      const count = bins[index];
      if (count === undefined || count === 0) continue;
      const key = index + offset;
      writer.varint(previousKey === null ? zigzag(key) : key - previousKey);
      writer.varint(count);
      previousKey = key;
    }
    return writer.finish();
  }
}

/** Index of the first bound ≥ value, or bounds.length when value is above every bound. */
function bucketIndex(boundsMs: readonly number[], value: number): number {
  for (let index = 0; index < boundsMs.length; index++) {
    const bound = boundsMs[index];
    if (bound !== undefined && value <= bound) return index;
  }
  return boundsMs.length;
}

// Varints use arithmetic rather than 32-bit bit operations so counts and keys stay exact up to 2^53.
const MAX_VARINT_BYTES = 8;

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function unzigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

class ByteWriter {
  readonly #buffer: Uint8Array;
  #length = 0;

  constructor(capacity: number) {
    this.#buffer = new Uint8Array(capacity);
  }

  byte(value: number): void {
    this.#buffer[this.#length++] = value;
  }

  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      // Only weight-1 adds and merges of them reach a sketch, so a fractional count is a bug.
      throw new InternalError(`Latency sketch cannot encode ${value}`);
    }
    let rest = value;
    while (rest >= 0x80) {
      this.#buffer[this.#length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.#buffer[this.#length++] = rest;
  }

  finish(): Uint8Array {
    // Copy so the stored blob is exactly as long as its content.
    return this.#buffer.slice(0, this.#length);
  }
}

class ByteReader {
  readonly #bytes: Uint8Array;
  #position = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  byte(): number {
    const value = this.#bytes[this.#position++];
    if (value === undefined) throw new InternalError('Latency sketch is truncated');
    return value;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let read = 0; read < MAX_VARINT_BYTES; read++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
    throw new InternalError('Latency sketch has an over-long varint');
  }

  atEnd(): boolean {
    return this.#position === this.#bytes.length;
  }
}
