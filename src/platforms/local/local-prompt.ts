import { resolveChatWrapper, type ChatHistoryItem, type LlamaModel, type LlamaText, type Token } from 'node-llama-cpp';
import type { ChatMessage } from '../../core/invocation.js';

/**
 * Turns a request into the exact tokens llama.cpp will evaluate, so usage can be counted honestly.
 *
 * LlamaCompletion prepends the model's BOS token itself (when the vocabulary asks for one) and tokenizes
 * strings with "trimLeadingSpace". `model.tokenize(prompt)` alone therefore undercounts; here the prompt
 * is tokenized the way LlamaCompletion does, handed over as Token[], and counted with the BOS.
 */
export interface RenderedPrompt {
  /** What to pass to LlamaCompletion (without the BOS it adds). */
  tokens: Token[];
  /** Tokens llama.cpp evaluates for the prompt: `tokens` plus the prepended BOS, if any. */
  inputTokenCount: number;
  /** Text that ends the answer in this prompt format (the transcript's next "user:" line). */
  stopStrings: string[];
  /** Token-level stop triggers of a chat template (end-of-turn special tokens), handed to llama.cpp. */
  stopTriggers: LlamaText[];
  /** How the prompt was built, for logs and docs. */
  format: 'completion' | 'chat-template' | 'transcript';
}

/**
 * Renders a completion prompt or chat messages for `model`.
 *
 * Messages use the model's own chat template when its GGUF has one (through node-llama-cpp's chat
 * wrappers, without LlamaChatSession's default system prompt). Without a template (the demo model),
 * they become a plain transcript, one `role: content` line per message, ending with `assistant:`, and
 * generation stops if the model starts a new `user:` or `system:` line.
 */
export function renderPrompt(model: LlamaModel, input: { prompt?: string; messages?: ChatMessage[] }): RenderedPrompt {
  const bos = model.tokens.bos;
  const prependsBos = model.tokens.shouldPrependBosToken && bos !== null;
  const tokenizeText = (text: string): Token[] => model.tokenize(text, false, prependsBos ? 'trimLeadingSpace' : undefined);
  const result = (tokens: Token[], format: RenderedPrompt['format'], stops: Partial<Pick<RenderedPrompt, 'stopStrings' | 'stopTriggers'>> = {}): RenderedPrompt => ({
    tokens,
    inputTokenCount: tokens.length + (prependsBos ? 1 : 0),
    stopStrings: stops.stopStrings ?? [],
    stopTriggers: stops.stopTriggers ?? [],
    format,
  });

  if (input.messages === undefined) return result(tokenizeText(input.prompt ?? ''), 'completion');

  if (hasChatTemplate(model)) {
    const wrapper = resolveChatWrapper(model, { warningLogs: false });
    if (wrapper) {
      const history: ChatHistoryItem[] = input.messages.map((message) =>
        message.role === 'assistant' ? { type: 'model', response: [message.content] } : { type: message.role, text: message.content },
      );
      history.push({ type: 'model', response: [] });
      const { contextText, stopGenerationTriggers } = wrapper.generateContextState({ chatHistory: history });
      let tokens = contextText.tokenize(model.tokenizer, 'trimLeadingSpace');
      // Templates usually start with BOS themselves; LlamaCompletion adds it again unless we drop ours.
      if (prependsBos && tokens[0] === bos) tokens = tokens.slice(1);
      return result(tokens, 'chat-template', { stopTriggers: stopGenerationTriggers });
    }
  }

  return result(tokenizeText(renderTranscript(input.messages)), 'transcript', { stopStrings: ['\nuser:', '\nsystem:'] });
}

/** The fallback chat format for models without a template. */
export function renderTranscript(messages: readonly ChatMessage[]): string {
  return [...messages.map((message) => `${message.role}: ${message.content}`), 'assistant:'].join('\n');
}

function hasChatTemplate(model: LlamaModel): boolean {
  const template = model.fileInfo.metadata.tokenizer?.chat_template;
  return typeof template === 'string' && template.trim().length > 0;
}
