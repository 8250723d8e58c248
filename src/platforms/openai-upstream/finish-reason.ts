import type { FinishReason } from '../../core/invocation.js';

/**
 * Maps an upstream finish_reason to ours. Servers use their own words (TGI/LoRAX `eos_token`,
 * llama.cpp `eos`, Anthropic-style `end_turn`); anything unknown becomes `unknown`, never an error.
 */
export function mapOpenAIFinishReason(raw: string | null | undefined): FinishReason {
  switch (raw?.toLowerCase()) {
    case 'stop':
    case 'eos':
    case 'eos_token':
    case 'stop_sequence':
    case 'end_turn':
    case 'tool_calls':
    case 'function_call':
      return 'stop';
    case 'length':
    case 'max_tokens':
    case 'model_length':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    case 'abort':
      return 'abort';
    case 'error':
      return 'error';
    default:
      return 'unknown';
  }
}
