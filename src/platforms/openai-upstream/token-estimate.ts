import type { ChatMessage } from '../../core/invocation.js';

/**
 * Token counts for when a server reports none. A documented heuristic, not a tokenizer: about four
 * characters of English per token (OpenAI's rule of thumb), rounded up. Usage built from these numbers
 * is marked `estimated`.
 */

export const CHARS_PER_TOKEN = 4;

/** Chat templates wrap each message in role markers and separators: about this many tokens each. */
export const TOKENS_PER_MESSAGE = 4;
/** The assistant turn the template opens for the reply. */
export const TOKENS_FOR_REPLY_PRIMING = 3;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** Prompt tokens of a chat request: content plus per-message template overhead. */
export function estimatePromptTokens(messages: readonly ChatMessage[], countTokens: (text: string) => number = estimateTokens): number {
  return messages.reduce((sum, message) => sum + countTokens(message.content) + TOKENS_PER_MESSAGE, TOKENS_FOR_REPLY_PRIMING);
}
