import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { acceptedChatRequest, acceptedCompletionRequest, ChatCompletionRequestSchema, CompletionRequestSchema } from './openai-schemas.js';

const message = { role: 'user', content: 'hi' };
const chatBase = { model: 'bot', messages: [message] };
const textBase = { model: 'bot', prompt: 'Once upon a time' };

const counts = [undefined, null, 0, 1, 1.5, 16, 17, 1_048_576, 1_048_577, -1, 2 ** 53, '5', true];
const commonVariants: Record<string, unknown[]> = {
  model: [undefined, null, '', 'm', 'x'.repeat(600), 'x'.repeat(601), 5, ['bot']],
  max_tokens: counts,
  n: counts,
  temperature: [undefined, null, 0, 2, 2.01, -0.1, '1', 1],
  top_p: [undefined, null, 0, 0.0001, 1, 1.1, '0.5'],
  stop: [undefined, null, 'x', '', [], ['a', 'b', 'c', 'd'], ['a', 'b', 'c', 'd', 'e'], [1], ['a', null], 5, { at: 'x' }],
  stream: [undefined, null, true, false, 'true', 1],
  stream_options: [undefined, null, {}, { include_usage: true }, { include_usage: null }, { include_usage: 'yes' }, [], 'x', { include_usage: false, other: 1 }],
  tools: [undefined, [{ type: 'function', function: { name: 'f' } }], 'anything'],
};
const chatVariants: Record<string, unknown[]> = {
  ...commonVariants,
  max_completion_tokens: counts,
  messages: [
    undefined,
    null,
    [],
    'hi',
    [message, { role: 'assistant', content: null }, { role: 'system' }, { role: 'developer', content: '' }, { role: 'tool', content: 'x', tool_call_id: 't' }, { role: 'function', content: 'x' }],
    [{ role: 'robot', content: 'x' }],
    [{ content: 'x' }],
    [{ role: 'user', content: 5 }],
    [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'image_url', image_url: {} }] }],
    [{ role: 'user', content: [{ text: 'a' }] }],
    ['hi'],
    [null],
    [[message]],
    Array.from({ length: 2_000 }, () => message),
    Array.from({ length: 2_001 }, () => message),
  ],
};
const textVariants: Record<string, unknown[]> = { ...commonVariants, prompt: [undefined, null, '', 'a', ['a'], 5], max_completion_tokens: [undefined, 'not checked here', -5] };

/** Every body that changes one field of `base` to each of its variants, plus pairs of changes. */
function bodies(base: Record<string, unknown>, variants: Record<string, unknown[]>): Record<string, unknown>[] {
  const one = Object.entries(variants).flatMap(([field, values]) => values.map((value) => withField(base, field, value)));
  const fields = Object.keys(variants);
  const two = one.flatMap((body, index) => {
    const field = fields[index % fields.length] as string;
    const values = variants[field] as unknown[];
    return [withField(body, field, values[index % values.length])];
  });
  return [...one, ...two];
}

function withField(base: Record<string, unknown>, field: string, value: unknown): Record<string, unknown> {
  const body: Record<string, unknown> = { ...base };
  if (value === undefined) delete body[field];
  else body[field] = value;
  // As the body arrives: parsed from JSON text.
  return JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
}

describe('the requests accepted without zod', () => {
  const endpoints = [
    { endpoint: 'chat', schema: ChatCompletionRequestSchema, accepted: acceptedChatRequest, corpus: bodies(chatBase, chatVariants), each: 40 },
    { endpoint: 'completion', schema: CompletionRequestSchema, accepted: acceptedCompletionRequest, corpus: bodies(textBase, textVariants), each: 20 },
  ];

  it.each(endpoints)('are exactly those the $endpoint schema accepts unchanged', ({ schema, accepted, corpus, each }) => {
    let acceptedCount = 0;
    for (const body of corpus) {
      const zod = schema.safeParse(body);
      const unchanged = zod.success && isDeepStrictEqual(zod.data, body);
      const fast = accepted(body);
      expect({ body, fast: fast !== null }).toEqual({ body, fast: unchanged });
      if (fast !== null) {
        expect(fast).toBe(body);
        acceptedCount++;
      }
    }
    // Both kinds occur: the corpus tests the checks, not only one verdict.
    expect(acceptedCount).toBeGreaterThan(each);
    expect(corpus.length - acceptedCount).toBeGreaterThan(each);
  });

  it('include what an OpenAI SDK sends', () => {
    const sdkBody = { model: 'bot', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], max_tokens: 64, temperature: 0.7, top_p: 0.9, stream: true, stream_options: { include_usage: true } };
    expect(acceptedChatRequest(sdkBody)).toBe(sdkBody);
    expect(acceptedCompletionRequest({ model: 'bot', prompt: 'Hi', max_tokens: 16, n: 1 })).not.toBeNull();
  });
});
