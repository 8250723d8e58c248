import { z } from 'zod';

/** The subset of OpenAI's request bodies the gateway understands; unknown fields are ignored, as OpenAI clients send many. */
const stop = z.union([z.string(), z.array(z.string()).max(4)]).nullable().optional();

const content = z.union([
  z.string(),
  z.array(z.looseObject({ type: z.string(), text: z.string().optional() })).transform((parts) =>
    parts.map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join(''),
  ),
]);

export const ChatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1).max(600),
  messages: z
    .array(z.looseObject({ role: z.enum(['system', 'developer', 'user', 'assistant']), content: content.nullable() }))
    .min(1)
    .max(500),
  max_tokens: z.number().int().min(1).max(32_768).nullable().optional(),
  max_completion_tokens: z.number().int().min(1).max(32_768).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  stop,
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  n: z.literal(1).nullable().optional(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

export const CompletionRequestSchema = z.looseObject({
  model: z.string().min(1).max(600),
  prompt: z.string().min(1),
  max_tokens: z.number().int().min(1).max(32_768).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  stop,
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
});
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;
