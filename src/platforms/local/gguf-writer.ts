/**
 * A small, dependency-free GGUF v3 writer: enough to produce the synthetic demo model and LoRA adapters
 * (and deliberately broken fixtures in tests). Output is byte-identical for identical input, which is
 * what lets the demo files be content-hashed.
 *
 * Format reference: ggml's `docs/gguf.md`. All integers are little-endian; tensor shapes are given in
 * ggml order (`ne[0]` is the fastest-varying dimension, e.g. `[n_in, n_out]` for a weight matrix).
 */

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
const GGUF_VERSION = 3;
/** ggml's default; written explicitly as `general.alignment` so readers never have to guess. */
export const GGUF_ALIGNMENT = 32;

const valueTypeCodes = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;

export type GgufScalarType = Exclude<keyof typeof valueTypeCodes, 'array'>;

/** One metadata value with its GGUF type made explicit (JS numbers alone cannot say uint32 vs float32). */
export type GgufValue =
  | { type: Exclude<GgufScalarType, 'string' | 'bool' | 'uint64' | 'int64'>; value: number }
  | { type: 'uint64' | 'int64'; value: bigint | number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: 'string'; value: readonly string[] }
  | { type: 'array'; itemType: Exclude<GgufScalarType, 'string' | 'bool' | 'uint64' | 'int64'>; value: readonly number[] }
  | { type: 'array'; itemType: 'bool'; value: readonly boolean[] };

/** Shorthands so metadata reads like a table: `['llama.block_count', gguf.uint32(2)]`. */
export const gguf = {
  string: (value: string): GgufValue => ({ type: 'string', value }),
  uint32: (value: number): GgufValue => ({ type: 'uint32', value }),
  int32: (value: number): GgufValue => ({ type: 'int32', value }),
  uint64: (value: bigint | number): GgufValue => ({ type: 'uint64', value }),
  float32: (value: number): GgufValue => ({ type: 'float32', value }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  strings: (value: readonly string[]): GgufValue => ({ type: 'array', itemType: 'string', value }),
  float32s: (value: readonly number[]): GgufValue => ({ type: 'array', itemType: 'float32', value }),
  int32s: (value: readonly number[]): GgufValue => ({ type: 'array', itemType: 'int32', value }),
};

/** Tensor element types this writer can encode (ggml type ids 0 and 1). */
export type GgufTensorType = 'F32' | 'F16';
const tensorTypeCodes: Record<GgufTensorType, number> = { F32: 0, F16: 1 };
const tensorTypeBytes: Record<GgufTensorType, number> = { F32: 4, F16: 2 };

export interface GgufTensor {
  name: string;
  /** ggml order: `[ne0, ne1, ...]`, ne0 fastest. */
  shape: readonly number[];
  type: GgufTensorType;
  /** Row-major in ggml order (index = i0 + ne0 * (i1 + ne1 * ...)); length must equal the shape's product. */
  data: Float32Array;
}

export interface GgufFile {
  /** Written in this order. `general.alignment` is added when missing. */
  metadata: readonly (readonly [key: string, value: GgufValue])[];
  tensors: readonly GgufTensor[];
}

/** Serialises a GGUF v3 file. Throws RangeError on malformed input (shape/data mismatch, duplicate names). */
export function writeGguf(file: GgufFile): Buffer {
  const metadata = file.metadata.some(([key]) => key === 'general.alignment')
    ? file.metadata
    : [...file.metadata, ['general.alignment', gguf.uint32(GGUF_ALIGNMENT)] as const];
  assertUnique(metadata.map(([key]) => key), 'metadata key');
  assertUnique(file.tensors.map((tensor) => tensor.name), 'tensor name');

  const header = new ByteSink();
  header.uint32(GGUF_MAGIC);
  header.uint32(GGUF_VERSION);
  header.uint64(BigInt(file.tensors.length));
  header.uint64(BigInt(metadata.length));
  for (const [key, value] of metadata) {
    header.string(key);
    writeValue(header, value);
  }

  let dataOffset = 0;
  const placed = file.tensors.map((tensor) => {
    const elements = tensor.shape.reduce((product, dimension) => product * dimension, 1);
    if (tensor.shape.length === 0 || tensor.shape.some((dimension) => !Number.isInteger(dimension) || dimension < 1)) {
      throw new RangeError(`tensor ${tensor.name}: shape must be positive integers, got [${tensor.shape.join(', ')}]`);
    }
    if (elements !== tensor.data.length) {
      throw new RangeError(`tensor ${tensor.name}: shape [${tensor.shape.join(', ')}] holds ${elements} values, data has ${tensor.data.length}`);
    }
    const offset = dataOffset;
    const byteLength = elements * tensorTypeBytes[tensor.type];
    dataOffset = alignUp(offset + byteLength, GGUF_ALIGNMENT);
    return { tensor, offset, byteLength };
  });

  for (const { tensor, offset } of placed) {
    header.string(tensor.name);
    header.uint32(tensor.shape.length);
    for (const dimension of tensor.shape) header.uint64(BigInt(dimension));
    header.uint32(tensorTypeCodes[tensor.type]);
    header.uint64(BigInt(offset));
  }

  const headerBytes = header.toBuffer();
  const dataStart = alignUp(headerBytes.length, GGUF_ALIGNMENT);
  const output = Buffer.alloc(dataStart + dataOffset);
  headerBytes.copy(output, 0);
  for (const { tensor, offset } of placed) {
    encodeTensor(tensor, output, dataStart + offset);
  }
  return output;
}

function encodeTensor(tensor: GgufTensor, output: Buffer, at: number): void {
  if (tensor.type === 'F32') {
    for (let index = 0; index < tensor.data.length; index++) {
      output.writeFloatLE(tensor.data[index] ?? 0, at + index * 4);
    }
    return;
  }
  for (let index = 0; index < tensor.data.length; index++) {
    output.writeUInt16LE(float32ToFloat16Bits(tensor.data[index] ?? 0), at + index * 2);
  }
}

function writeValue(sink: ByteSink, value: GgufValue): void {
  sink.uint32(valueTypeCodes[value.type]);
  if (value.type === 'array') {
    sink.uint32(valueTypeCodes[value.itemType]);
    sink.uint64(BigInt(value.value.length));
    for (const item of value.value) writeScalar(sink, value.itemType, item);
    return;
  }
  writeScalar(sink, value.type, value.value);
}

function writeScalar(sink: ByteSink, type: GgufScalarType, value: string | number | bigint | boolean): void {
  switch (type) {
    case 'string':
      return sink.string(String(value));
    case 'bool':
      return sink.uint8(value === true ? 1 : 0);
    case 'uint8':
      return sink.uint8(Number(value));
    case 'int8':
      return sink.fixed(1, (buffer) => buffer.writeInt8(Number(value)));
    case 'uint16':
      return sink.fixed(2, (buffer) => buffer.writeUInt16LE(Number(value)));
    case 'int16':
      return sink.fixed(2, (buffer) => buffer.writeInt16LE(Number(value)));
    case 'uint32':
      return sink.uint32(Number(value));
    case 'int32':
      return sink.fixed(4, (buffer) => buffer.writeInt32LE(Number(value)));
    case 'float32':
      return sink.fixed(4, (buffer) => buffer.writeFloatLE(Number(value)));
    case 'float64':
      return sink.fixed(8, (buffer) => buffer.writeDoubleLE(Number(value)));
    case 'uint64':
      return sink.uint64(BigInt(value));
    case 'int64':
      return sink.fixed(8, (buffer) => buffer.writeBigInt64LE(BigInt(value)));
  }
}

/** Growable little-endian byte buffer for the header section. */
class ByteSink {
  private readonly chunks: Buffer[] = [];
  private length = 0;

  fixed(size: number, write: (buffer: Buffer) => void): void {
    const buffer = Buffer.alloc(size);
    write(buffer);
    this.chunks.push(buffer);
    this.length += size;
  }
  uint8(value: number): void {
    this.fixed(1, (buffer) => buffer.writeUInt8(value));
  }
  uint32(value: number): void {
    this.fixed(4, (buffer) => buffer.writeUInt32LE(value));
  }
  uint64(value: bigint): void {
    this.fixed(8, (buffer) => buffer.writeBigUInt64LE(value));
  }
  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.uint64(BigInt(bytes.length));
    this.chunks.push(bytes);
    this.length += bytes.length;
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

function assertUnique(names: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new RangeError(`duplicate ${what} '${name}'`);
    seen.add(name);
  }
}

const float32View = new Float32Array(1);
const uint32View = new Uint32Array(float32View.buffer);

/**
 * IEEE 754 binary32 → binary16 bits, rounding to nearest even, with subnormals, infinities and NaN.
 * Written out by hand because Node 20 has no Float16Array.
 */
export function float32ToFloat16Bits(value: number): number {
  float32View[0] = value;
  const bits = uint32View[0] ?? 0;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;

  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200); // Inf or NaN
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign; // underflow → ±0
    // Subnormal: shift the implicit leading 1 in, then round to nearest even.
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    const half = full >>> shift;
    const remainder = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    const roundUp = remainder > halfway || (remainder === halfway && (half & 1) === 1);
    return sign | (half + (roundUp ? 1 : 0));
  }
  const half = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  const roundUp = remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1);
  // A carry out of the mantissa correctly bumps the exponent (and can reach Inf).
  return sign | (half + (roundUp ? 1 : 0));
}

/** binary16 bits → number; the inverse of {@link float32ToFloat16Bits} for checks and tests. */
export function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** A seeded pseudo-random source. Uses only exact integer and IEEE arithmetic, so it is identical on every platform. */
export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [-scale, scale). */
  symmetric(scale: number): number;
}

/** mulberry32: tiny, fast and good enough for synthetic weights (not for anything secret). */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
  return { next, symmetric: (scale) => (next() * 2 - 1) * scale };
}
