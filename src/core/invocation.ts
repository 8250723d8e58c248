/** The provider-neutral shape of one inference call and its outcome. */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface InvokeRequest {
  /** Either messages or prompt; the service layer guarantees exactly one is set. */
  messages?: ChatMessage[];
  prompt?: string;
  /** Adapter to apply for this request; null means the base model. */
  adapterId: string | null;
  maxTokens: number;
  temperature: number;
  topP: number;
  stop: string[];
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** True when the provider gave no counts and modelport counted them itself. */
  estimated: boolean;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'error' | 'abort' | 'unknown';

/** A connector's invoke yields text deltas, then exactly one `done`. */
export type InvokeEvent =
  | { type: 'delta'; text: string }
  | {
      type: 'done';
      usage: Usage;
      finishReason: FinishReason;
      /** Provider-reported timings in ms, where it gives any (queue, prediction). */
      providerTimings?: Record<string, number>;
    };

export type InvocationSource = 'test' | 'gateway';

/** One recorded request: what metrics aggregate. Kept small on purpose: raw rows expire. */
export interface RequestRecord {
  deploymentId: string;
  adapterId: string | null;
  source: InvocationSource;
  /** Epoch ms when the request started. */
  startedAt: number;
  ttftMs: number | null;
  /**
   * Inter-token latency: the mean gap in ms between consecutive output token events after the first,
   * (last token − first token) / (token events − 1). null when the output did not arrive as a stream
   * (a non-streamed passthrough request) and for streams with fewer than two token events. Like `ttftMs`,
   * it is measured wherever modelport sees tokens arrive: connectors stream from the provider, so their
   * calls have it even when the gateway's client asked for a whole answer.
   */
  interTokenMs: number | null;
  latencyMs: number;
  success: boolean;
  errorCode: string | null;
  inputTokens: number;
  outputTokens: number;
  /** null = unpriced (unknown model price), never silently 0. */
  costUsd: number | null;
}
