import { z } from 'zod';

/**
 * The parts of OpenAI-style bodies modelport reads. Loose on purpose: vLLM, LoRAX, TGI, SGLang,
 * llama.cpp and Ollama each add fields, and null where OpenAI omits.
 */

const TokenCountSchema = z.number().nullish();

export const UpstreamUsageSchema = z.looseObject({
  prompt_tokens: TokenCountSchema,
  completion_tokens: TokenCountSchema,
});

/** `{error:{message}}` (OpenAI, vLLM) or `{error:"…"}` (LoRAX, TGI). */
export const UpstreamErrorSchema = z.union([z.string(), z.looseObject({ message: z.string().nullish() })]);

export const ChatCompletionChunkSchema = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        delta: z.looseObject({ content: z.string().nullish() }).nullish(),
        /** Completions-style servers put the token here even on the chat route. */
        text: z.string().nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: UpstreamUsageSchema.nullish(),
  error: UpstreamErrorSchema.nullish(),
});
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunkSchema>;

export const ModelListSchema = z.looseObject({
  data: z.array(z.looseObject({ id: z.string() })),
});
export type ModelList = z.infer<typeof ModelListSchema>;
