import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrng, float16BitsToNumber, float32ToFloat16Bits, GGUF_ALIGNMENT, gguf, writeGguf, type GgufFile } from './gguf-writer.js';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'modelport-gguf-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

function sampleFile(): GgufFile {
  return {
    metadata: [
      ['general.architecture', gguf.string('llama')],
      ['general.name', gguf.string('héllo ▁ world')],
      ['test.u32', gguf.uint32(4_000_000_000)],
      ['test.i32', gguf.int32(-7)],
      ['test.u64', gguf.uint64(2n ** 40n)],
      ['test.f32', gguf.float32(0.5)],
      ['test.bool', gguf.bool(true)],
      ['test.u8', { type: 'uint8', value: 255 }],
      ['test.i16', { type: 'int16', value: -300 }],
      ['test.f64', { type: 'float64', value: 1.25 }],
      ['test.strings', gguf.strings(['a', '', '<0x0A>', '▁cat'])],
      ['test.floats', gguf.float32s([1, -2.5, 0])],
      ['test.ints', gguf.int32s([3, -1])],
    ],
    tensors: [
      { name: 'odd', shape: [3], type: 'F32', data: new Float32Array([1, 2, 3]) },
      { name: 'matrix', shape: [4, 2], type: 'F32', data: new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]) },
      { name: 'half', shape: [5], type: 'F16', data: new Float32Array([1, -2, 0.5, 65504, 0.1]) },
    ],
  };
}

describe('writeGguf', () => {
  it('writes a GGUF v3 file that node-llama-cpp reads back (metadata, shapes, types, alignment)', async () => {
    const path = join(directory, 'sample.gguf');
    const bytes = writeGguf(sampleFile());
    await writeFile(path, bytes);

    const info = await readGgufFileInfo(path, { readTensorInfo: true, sourceType: 'filesystem', logWarnings: false });
    expect(info.version).toBe(3);
    const metadata = info.metadata as unknown as Record<string, Record<string, unknown>>;
    expect(metadata['general']).toMatchObject({ architecture: 'llama', name: 'héllo ▁ world', alignment: GGUF_ALIGNMENT });
    expect(metadata['test']).toMatchObject({
      u32: 4_000_000_000,
      i32: -7,
      f32: 0.5,
      bool: true,
      u8: 255,
      i16: -300,
      f64: 1.25,
      strings: ['a', '', '<0x0A>', '▁cat'],
      floats: [1, -2.5, 0],
      ints: [3, -1],
    });
    expect(BigInt(metadata['test']?.['u64'] as bigint | number)).toBe(2n ** 40n);

    const tensors = info.tensorInfo ?? [];
    expect(tensors.map((tensor) => [tensor.name, tensor.dimensions.map(Number), tensor.ggmlType])).toEqual([
      ['odd', [3], 0],
      ['matrix', [4, 2], 0],
      ['half', [5], 1],
    ]);
    for (const tensor of tensors) expect(Number(tensor.fileOffset) % GGUF_ALIGNMENT).toBe(0);

    // The data sits at the offsets the header announces.
    const file = await readFile(path);
    const matrix = tensors[1];
    const half = tensors[2];
    if (!matrix || !half) throw new Error('tensors missing');
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((index) => file.readFloatLE(Number(matrix.fileOffset) + index * 4))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const halves = [0, 1, 2, 3, 4].map((index) => float16BitsToNumber(file.readUInt16LE(Number(half.fileOffset) + index * 2)));
    expect(halves.slice(0, 4)).toEqual([1, -2, 0.5, 65504]);
    expect(halves[4]).toBeCloseTo(0.1, 3);
    expect(file.length % GGUF_ALIGNMENT).toBe(0);
  });

  it('is byte-identical for identical input', () => {
    expect(writeGguf(sampleFile()).equals(writeGguf(sampleFile()))).toBe(true);
  });

  it('starts with the GGUF magic and version 3', () => {
    const bytes = writeGguf(sampleFile());
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('GGUF');
    expect(bytes.readUInt32LE(4)).toBe(3);
    expect(bytes.readBigUInt64LE(8)).toBe(3n); // tensors
    expect(bytes.readBigUInt64LE(16)).toBe(14n); // 13 keys + general.alignment
  });

  it('refuses data that does not match the shape, bad shapes and duplicates', () => {
    const tensor = { name: 't', shape: [2, 2], type: 'F32' as const, data: new Float32Array(3) };
    expect(() => writeGguf({ metadata: [], tensors: [tensor] })).toThrow(/holds 4 values, data has 3/);
    expect(() => writeGguf({ metadata: [], tensors: [{ ...tensor, shape: [0, 4] }] })).toThrow(/positive integers/);
    expect(() => writeGguf({ metadata: [], tensors: [{ ...tensor, shape: [3] }, { ...tensor, shape: [3] }] })).toThrow(/duplicate tensor name/);
    expect(() => writeGguf({ metadata: [['a', gguf.bool(true)], ['a', gguf.bool(false)]], tensors: [] })).toThrow(/duplicate metadata key/);
  });
});

describe('float32ToFloat16Bits', () => {
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [65520, 0x7c00], // rounds up to Inf
    [1e9, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -26, 0x0000], // underflows
    [0.1, 0x2e66],
    [1 + 2 ** -11, 0x3c00], // exactly halfway: ties to even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // exactly halfway: ties to even (up)
  ])('%d → %s', (value, bits) => {
    expect(float32ToFloat16Bits(value)).toBe(bits);
  });

  it('keeps NaN a NaN', () => {
    expect(Number.isNaN(float16BitsToNumber(float32ToFloat16Bits(Number.NaN)))).toBe(true);
  });

  it('round-trips every finite half value exactly', () => {
    const mismatches: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = float16BitsToNumber(bits);
      if (Number.isFinite(value) && float32ToFloat16Bits(value) !== bits) mismatches.push(bits);
    }
    expect(mismatches).toEqual([]);
  });
});

describe('createPrng', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const sequence = (seed: number): number[] => {
      const prng = createPrng(seed);
      return Array.from({ length: 8 }, () => prng.next());
    };
    expect(sequence(42)).toEqual(sequence(42));
    expect(sequence(42)).not.toEqual(sequence(43));
  });

  it('stays in range and is roughly uniform', () => {
    const prng = createPrng(7);
    let sum = 0;
    let outOfRange = 0;
    for (let index = 0; index < 10_000; index++) {
      const value = prng.next();
      const symmetric = prng.symmetric(3);
      if (value < 0 || value >= 1 || Math.abs(symmetric) > 3) outOfRange++;
      sum += value;
    }
    expect(outOfRange).toBe(0);
    expect(sum / 10_000).toBeGreaterThan(0.48);
    expect(sum / 10_000).toBeLessThan(0.52);
  });
});
