import { ValidationError } from '../../core/errors/index.js';
import type { ChatMessage, InvokeRequest } from '../../core/invocation.js';
import type { ReplicateOptions } from './replicate-options.js';

/**
 * Turns a provider-neutral request into a Replicate model input. Replicate language models take one
 * `prompt` (plus usually `system_prompt`) and apply their own chat template, so a conversation is
 * flattened: system messages become the system prompt, a single user turn is the prompt as is, and a
 * longer conversation becomes a `User:`/`Assistant:` transcript ending with `Assistant:`.
 */

export interface PromptParts {
  prompt: string;
  system: string | null;
}

export function promptParts(request: Pick<InvokeRequest, 'messages' | 'prompt'>): PromptParts {
  if (request.messages === undefined) return { prompt: request.prompt ?? '', system: null };
  const systems = request.messages.filter((message) => message.role === 'system').map((message) => message.content);
  const turns = request.messages.filter((message): message is ChatMessage & { role: 'user' | 'assistant' } => message.role !== 'system');
  const system = systems.length > 0 ? systems.join('\n\n') : null;
  const only = turns[0];
  if (turns.length === 1 && only?.role === 'user') return { prompt: only.content, system };
  const transcript = turns.map((turn) => `${turn.role === 'user' ? 'User' : 'Assistant'}: ${turn.content}`);
  return { prompt: `${transcript.join('\n')}\nAssistant:`, system };
}

export function buildPredictionInput(request: InvokeRequest, options: ReplicateOptions): Record<string, unknown> {
  const fields = options.inputFields;
  const { prompt, system } = promptParts(request);
  const input: Record<string, unknown> = { ...options.extraInput };
  if (system !== null && fields.systemPrompt === null) {
    input[fields.prompt] = `${system}\n\n${prompt}`;
  } else {
    input[fields.prompt] = prompt;
    if (system !== null && fields.systemPrompt !== null) input[fields.systemPrompt] = system;
  }
  if (fields.maxTokens !== null) input[fields.maxTokens] = request.maxTokens;
  if (fields.temperature !== null) input[fields.temperature] = request.temperature;
  if (fields.topP !== null) input[fields.topP] = request.topP;
  if (fields.stop !== null && request.stop.length > 0) {
    if (options.stopFormat === 'comma-separated' && request.stop.some((stop) => stop.includes(','))) {
      throw new ValidationError('this model takes stop sequences as one comma-separated string, so a stop sequence cannot contain a comma', [
        { path: 'stop', message: 'remove the comma, or set platformOptions.replicate.stopFormat to "array" if the model takes a list' },
      ]);
    }
    input[fields.stop] = options.stopFormat === 'array' ? [...request.stop] : request.stop.join(',');
  }
  return input;
}

/** The tiny request that proves an instance is up: one output token, unless the user gave an input. */
export function warmupInput(options: ReplicateOptions): Record<string, unknown> {
  if (options.warmupInput !== undefined) return options.warmupInput;
  const fields = options.inputFields;
  return {
    ...options.extraInput,
    [fields.prompt]: 'Hi',
    ...(fields.maxTokens === null ? {} : { [fields.maxTokens]: 1 }),
  };
}
