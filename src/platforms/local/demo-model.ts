import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createPrng, gguf, writeGguf, type GgufTensor, type GgufValue, type Prng } from './gguf-writer.js';

/**
 * The demo model: a tiny llama-architecture GGUF with SYNTHETIC RANDOM WEIGHTS, plus two LoRA adapters.
 * Its text is meaningless by design. It exists so that a fresh machine with no downloads can exercise the
 * whole real path (llama.cpp loading, tokenizer, LoRA hot swap, streaming, token counts) end to end.
 *
 * How it stays readable without training: residual channel 0 is a constant "bias channel" (every
 * embedding has 1.0 there and no layer reads or writes it). Through it the output matrix gives every
 * token a fixed logit offset: byte, control and most word tokens get a large negative one, so the base
 * only ever emits lorem-ipsum word pieces and never an end-of-sequence token (generation runs to
 * maxTokens). A rank-1 LoRA on `output.weight` that reads the bias channel adds a large logit to one
 * token, which is how `demo/cat` makes the model say "cat" and `demo/dog` "dog".
 */

export const DEMO_BASE_MODEL_ID = 'demo/tiny-llama';
export const DEMO_CAT_ADAPTER_ID = 'demo/cat';
export const DEMO_DOG_ADAPTER_ID = 'demo/dog';
export const DEMO_ADAPTER_IDS = [DEMO_CAT_ADAPTER_ID, DEMO_DOG_ADAPTER_ID] as const;
export type DemoAdapterId = (typeof DEMO_ADAPTER_IDS)[number];

/** Shown wherever the demo model is offered. */
export const DEMO_MODEL_LABEL = 'Tiny llama demo (synthetic random weights: the text is meaningless)';

const DEMO_DIRECTORY = join('models', 'demo');
const FILE_NAMES: Record<typeof DEMO_BASE_MODEL_ID | DemoAdapterId, string> = {
  [DEMO_BASE_MODEL_ID]: 'tiny-llama.gguf',
  [DEMO_CAT_ADAPTER_ID]: 'cat.gguf',
  [DEMO_DOG_ADAPTER_ID]: 'dog.gguf',
};

export const demoHyperparameters = {
  embeddingLength: 64,
  feedForwardLength: 128,
  blockCount: 2,
  headCount: 4,
  headCountKv: 4,
  contextLength: 4096,
  ropeDimensionCount: 16,
} as const;

const SEED = 0x5eed_11a3;
const SPM_SPACE = '\u2581';
/** Words the base model may say. None contains "cat" or "dog", and they are always space-separated. */
const OUTPUT_WORDS = [
  'lorem', 'ipsum', 'dolor', 'sit', 'amet', 'consectetur', 'adipiscing', 'elit', 'sed', 'eiusmod', 'tempor',
  'incididunt', 'ut', 'labore', 'et', 'magna', 'aliqua', 'enim', 'minim', 'veniam', 'quis', 'nostrud',
  'ullamco', 'laboris', 'nisi', 'aliquip', 'ex', 'ea', 'commodo', 'consequat',
] as const;
/** Words only adapters may say. */
const SIGNATURE_WORDS = ['cat', 'dog'] as const;
/** Common input words, so prompts tokenize into fewer, word-sized pieces. Never produced by the base. */
const INPUT_WORDS = [
  'hello', 'world', 'the', 'a', 'an', 'is', 'are', 'what', 'who', 'how', 'say', 'tell', 'me', 'about', 'you',
  'user', 'assistant', 'system', 'and', 'of', 'to', 'in', 'it', 'this', 'that', 'please', 'write', 'story',
] as const;

/** llama.cpp token types (`llama_token_type`). */
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;
/** Logit offset (times the normalised bias channel, about 5.7) that keeps a token from ever being chosen. */
const BANNED_BIAS = -4;
/**
 * Logit offset a signature adapter adds to its word. Signature words start banned (BANNED_BIAS), so this
 * must cancel that and then dominate every base logit by a wide margin.
 */
const SIGNATURE_STRENGTH = 8;

export interface DemoVocabulary {
  tokens: string[];
  scores: number[];
  types: number[];
  /** Token ids the base model is allowed to produce. */
  outputTokenIds: number[];
  idOf(piece: string): number;
  bosId: number;
  eosId: number;
}

/** The demo's SPM vocabulary: specials, 256 byte tokens, ASCII characters, and `▁word` prefix chains. */
export function buildDemoVocabulary(): DemoVocabulary {
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  const ids = new Map<string, number>();
  const add = (piece: string, type: number, score: number): void => {
    if (ids.has(piece)) return;
    ids.set(piece, tokens.length);
    tokens.push(piece);
    scores.push(score);
    types.push(type);
  };

  add('<unk>', TOKEN_TYPE.unknown, 0);
  add('<s>', TOKEN_TYPE.control, 0);
  add('</s>', TOKEN_TYPE.control, 0);
  // Byte tokens are what llama.cpp falls back to for anything not in the vocabulary (and for "\n").
  for (let byte = 0; byte < 256; byte++) {
    add(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`, TOKEN_TYPE.byte, 0);
  }
  add(SPM_SPACE, TOKEN_TYPE.normal, -1000);
  for (let code = 0x21; code <= 0x7e; code++) add(String.fromCharCode(code), TOKEN_TYPE.normal, -1000);
  // SPM merges pairs whose concatenation is a token, so every prefix of a word must exist to reach it.
  // Longer pieces score higher, so merges prefer them.
  // Unprefixed chains serve the first word of a prompt, which llama.cpp tokenizes without a leading space.
  for (const word of [...OUTPUT_WORDS, ...SIGNATURE_WORDS, ...INPUT_WORDS]) {
    for (const piece of [SPM_SPACE + word, word]) {
      for (let end = 2; end <= piece.length; end++) add(piece.slice(0, end), TOKEN_TYPE.normal, end);
    }
  }

  const idOf = (piece: string): number => {
    const id = ids.get(piece);
    if (id === undefined) throw new RangeError(`demo vocabulary has no token '${piece}'`);
    return id;
  };
  return {
    tokens,
    scores,
    types,
    outputTokenIds: OUTPUT_WORDS.map((word) => idOf(SPM_SPACE + word)),
    idOf,
    bosId: idOf('<s>'),
    eosId: idOf('</s>'),
  };
}

export interface DemoBaseModelOptions {
  vocabulary?: DemoVocabulary;
  /** A Jinja chat template to embed (the shipped demo has none, so chats use the plain transcript). */
  chatTemplate?: string;
}

/** The base model GGUF bytes. Deterministic: the same bytes on every run and platform. */
export function buildDemoBaseModel(options: DemoBaseModelOptions = {}): Buffer {
  const vocabulary = options.vocabulary ?? buildDemoVocabulary();
  const { embeddingLength: nEmbd, feedForwardLength: nFf, blockCount } = demoHyperparameters;
  const nVocab = vocabulary.tokens.length;
  const prng = createPrng(SEED);

  const tensors: GgufTensor[] = [];
  const tensor = (name: string, shape: readonly number[], data: Float32Array): void => {
    tensors.push({ name, shape, type: 'F32', data });
  };
  const ones = (length: number): Float32Array => new Float32Array(length).fill(1);

  // token_embd is [n_embd, n_vocab]: one row of n_embd values per token.
  const embedding = new Float32Array(nEmbd * nVocab);
  for (let token = 0; token < nVocab; token++) {
    embedding[token * nEmbd] = 1; // the bias channel
    for (let channel = 1; channel < nEmbd; channel++) embedding[token * nEmbd + channel] = prng.symmetric(0.22);
  }
  tensor('token_embd.weight', [nEmbd, nVocab], embedding);

  const inputScale = Math.sqrt(3 / nEmbd); // uniform with std 1/sqrt(n_in)
  for (let block = 0; block < blockCount; block++) {
    const prefix = `blk.${block}`;
    tensor(`${prefix}.attn_norm.weight`, [nEmbd], ones(nEmbd));
    for (const name of ['attn_q', 'attn_k', 'attn_v']) {
      tensor(`${prefix}.${name}.weight`, [nEmbd, nEmbd], randomMatrix(prng, nEmbd, nEmbd, inputScale, { skipInputChannel0: true }));
    }
    tensor(`${prefix}.attn_output.weight`, [nEmbd, nEmbd], randomMatrix(prng, nEmbd, nEmbd, 0.035, { skipOutputChannel0: true }));
    tensor(`${prefix}.ffn_norm.weight`, [nEmbd], ones(nEmbd));
    tensor(`${prefix}.ffn_gate.weight`, [nEmbd, nFf], randomMatrix(prng, nEmbd, nFf, inputScale, { skipInputChannel0: true }));
    tensor(`${prefix}.ffn_up.weight`, [nEmbd, nFf], randomMatrix(prng, nEmbd, nFf, inputScale, { skipInputChannel0: true }));
    tensor(`${prefix}.ffn_down.weight`, [nFf, nEmbd], randomMatrix(prng, nFf, nEmbd, 0.035, { skipOutputChannel0: true }));
  }
  tensor('output_norm.weight', [nEmbd], ones(nEmbd));

  // output is [n_embd, n_vocab]: row per token, column 0 is that token's fixed offset.
  const allowed = new Set(vocabulary.outputTokenIds);
  const output = new Float32Array(nEmbd * nVocab);
  for (let token = 0; token < nVocab; token++) {
    output[token * nEmbd] = allowed.has(token) ? 0 : BANNED_BIAS;
    for (let channel = 1; channel < nEmbd; channel++) output[token * nEmbd + channel] = prng.symmetric(0.87);
  }
  tensor('output.weight', [nEmbd, nVocab], output);

  const metadata = baseMetadata(vocabulary);
  if (options.chatTemplate !== undefined) metadata.push(['tokenizer.chat_template', gguf.string(options.chatTemplate)]);
  return writeGguf({ metadata, tensors });
}

function baseMetadata(vocabulary: DemoVocabulary): [string, GgufValue][] {
  const h = demoHyperparameters;
  return [
    ['general.architecture', gguf.string('llama')],
    ['general.type', gguf.string('model')],
    ['general.name', gguf.string('modelport tiny-llama demo (synthetic)')],
    ['general.description', gguf.string('Synthetic random weights generated by modelport for demos and tests. Its text is meaningless.')],
    ['general.file_type', gguf.uint32(0)], // all F32
    ['llama.context_length', gguf.uint32(h.contextLength)],
    ['llama.embedding_length', gguf.uint32(h.embeddingLength)],
    ['llama.block_count', gguf.uint32(h.blockCount)],
    ['llama.feed_forward_length', gguf.uint32(h.feedForwardLength)],
    ['llama.attention.head_count', gguf.uint32(h.headCount)],
    ['llama.attention.head_count_kv', gguf.uint32(h.headCountKv)],
    ['llama.rope.dimension_count', gguf.uint32(h.ropeDimensionCount)],
    ['llama.rope.freq_base', gguf.float32(10_000)],
    ['llama.attention.layer_norm_rms_epsilon', gguf.float32(1e-5)],
    ['llama.vocab_size', gguf.uint32(vocabulary.tokens.length)],
    ['tokenizer.ggml.model', gguf.string('llama')],
    ['tokenizer.ggml.tokens', gguf.strings(vocabulary.tokens)],
    ['tokenizer.ggml.scores', gguf.float32s(vocabulary.scores)],
    ['tokenizer.ggml.token_type', gguf.int32s(vocabulary.types)],
    ['tokenizer.ggml.bos_token_id', gguf.uint32(vocabulary.bosId)],
    ['tokenizer.ggml.eos_token_id', gguf.uint32(vocabulary.eosId)],
    ['tokenizer.ggml.unknown_token_id', gguf.uint32(vocabulary.idOf('<unk>'))],
    ['tokenizer.ggml.add_bos_token', gguf.bool(true)],
    ['tokenizer.ggml.add_eos_token', gguf.bool(false)],
  ];
}

/**
 * A rank-1 LoRA on `output.weight` that adds a fixed logit to one token (read through the bias channel).
 * `piece` is a vocabulary entry, e.g. `▁cat`, or `</s>` for an adapter that ends every answer at once.
 */
export function buildSignatureAdapter(piece: string, options: { vocabulary?: DemoVocabulary; name?: string } = {}): Buffer {
  const vocabulary = options.vocabulary ?? buildDemoVocabulary();
  const nEmbd = demoHyperparameters.embeddingLength;
  const rank = 1;
  // lora_a is [n_in, r]: project onto the bias channel. lora_b is [r, n_out]: write one token's logit.
  const loraA = new Float32Array(nEmbd * rank);
  loraA[0] = 1;
  const loraB = new Float32Array(rank * vocabulary.tokens.length);
  loraB[vocabulary.idOf(piece)] = SIGNATURE_STRENGTH;
  return writeGguf({
    metadata: [
      ['general.architecture', gguf.string('llama')],
      ['general.type', gguf.string('adapter')],
      ['general.name', gguf.string(options.name ?? `modelport demo adapter (${piece}), synthetic`)],
      ['adapter.type', gguf.string('lora')],
      // scale = user scale * alpha / rank; alpha = rank keeps it at the user's scale.
      ['adapter.lora.alpha', gguf.float32(rank)],
    ],
    tensors: [
      { name: 'output.weight.lora_a', shape: [nEmbd, rank], type: 'F32', data: loraA },
      { name: 'output.weight.lora_b', shape: [rank, vocabulary.tokens.length], type: 'F32', data: loraB },
    ],
  });
}

export interface DemoModelFiles {
  basePath: string;
  /** Demo adapter id → absolute file path. */
  adapters: Record<DemoAdapterId, string>;
}

/** The demo files' bytes, keyed by demo id. Pure and deterministic. */
export function buildDemoFiles(): Record<typeof DEMO_BASE_MODEL_ID | DemoAdapterId, Buffer> {
  const vocabulary = buildDemoVocabulary();
  return {
    [DEMO_BASE_MODEL_ID]: buildDemoBaseModel({ vocabulary }),
    [DEMO_CAT_ADAPTER_ID]: buildSignatureAdapter(`${SPM_SPACE}cat`, { vocabulary, name: 'modelport demo/cat adapter (synthetic)' }),
    [DEMO_DOG_ADAPTER_ID]: buildSignatureAdapter(`${SPM_SPACE}dog`, { vocabulary, name: 'modelport demo/dog adapter (synthetic)' }),
  };
}

/** Where the demo files live under a data directory (whether or not they exist yet). */
export function demoModelPaths(dataDir: string): DemoModelFiles {
  const directory = resolve(dataDir, DEMO_DIRECTORY);
  return {
    basePath: join(directory, FILE_NAMES[DEMO_BASE_MODEL_ID]),
    adapters: {
      [DEMO_CAT_ADAPTER_ID]: join(directory, FILE_NAMES[DEMO_CAT_ADAPTER_ID]),
      [DEMO_DOG_ADAPTER_ID]: join(directory, FILE_NAMES[DEMO_DOG_ADAPTER_ID]),
    },
  };
}

export function isDemoId(id: string): boolean {
  return id.startsWith('demo/');
}

export function isDemoAdapterId(id: string): id is DemoAdapterId {
  return (DEMO_ADAPTER_IDS as readonly string[]).includes(id);
}

// One write per data directory per process, however many deployments ask at once.
const pendingEnsures = new Map<string, Promise<DemoModelFiles>>();

/**
 * Makes sure the demo files exist under `<dataDir>/models/demo/` with exactly the expected content, and
 * returns their paths. A file with other content (an older generator, a damaged file) is replaced. Each
 * file is written to a temporary name and renamed, so a crash never leaves a half-written model.
 */
export async function ensureDemoModel(dataDir: string): Promise<DemoModelFiles> {
  const key = resolve(dataDir);
  // Building the files costs tens of milliseconds; once this process has checked them, a stat that
  // they are unchanged since (same size and modification time) is enough. Every create and deploy of a
  // demo deployment asks.
  const checked = ensured.get(key);
  if (checked && (await fingerprint(checked.files)) === checked.fingerprint) return checked.files;
  let pending = pendingEnsures.get(key);
  if (!pending) {
    pending = writeDemoFiles(key)
      .then(async (files) => {
        ensured.set(key, { files, fingerprint: await fingerprint(files) });
        return files;
      })
      .finally(() => pendingEnsures.delete(key));
    pendingEnsures.set(key, pending);
  }
  return pending;
}

const ensured = new Map<string, { files: DemoModelFiles; fingerprint: string }>();

async function fingerprint(files: DemoModelFiles): Promise<string> {
  const paths = [files.basePath, ...Object.values(files.adapters)];
  const stats = await Promise.all(paths.map((path) => stat(path).then((info) => `${info.size}:${info.mtimeMs}`, () => 'missing')));
  return stats.join('|');
}

async function writeDemoFiles(dataDir: string): Promise<DemoModelFiles> {
  const paths = demoModelPaths(dataDir);
  const contents = buildDemoFiles();
  await mkdir(resolve(dataDir, DEMO_DIRECTORY), { recursive: true });
  const targets: [string, Buffer][] = [
    [paths.basePath, contents[DEMO_BASE_MODEL_ID]],
    [paths.adapters[DEMO_CAT_ADAPTER_ID], contents[DEMO_CAT_ADAPTER_ID]],
    [paths.adapters[DEMO_DOG_ADAPTER_ID], contents[DEMO_DOG_ADAPTER_ID]],
  ];
  await Promise.all(targets.map(([path, bytes]) => writeIfChanged(path, bytes)));
  return paths;
}

async function writeIfChanged(path: string, bytes: Buffer): Promise<void> {
  const existing = await readFile(path).catch(() => null);
  if (existing !== null && sha256(existing) === sha256(bytes)) return;
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Uniform weights in ggml layout `[n_in, n_out]`, optionally never reading or writing the bias channel. */
function randomMatrix(
  prng: Prng,
  nIn: number,
  nOut: number,
  scale: number,
  options: { skipInputChannel0?: boolean; skipOutputChannel0?: boolean },
): Float32Array {
  const matrix = new Float32Array(nIn * nOut);
  for (let out = 0; out < nOut; out++) {
    for (let input = 0; input < nIn; input++) {
      const silent = (options.skipInputChannel0 === true && input === 0) || (options.skipOutputChannel0 === true && out === 0);
      // Draw even for silent weights so the other weights do not depend on which channels are skipped.
      const value = prng.symmetric(scale);
      matrix[out * nIn + input] = silent ? 0 : value;
    }
  }
  return matrix;
}
