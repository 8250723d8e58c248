/**
 * Reads an upstream's OpenAI-style SSE byte stream as it passes through, without re-encoding it: the
 * gateway forwards the upstream's own bytes and only looks inside the few events it must understand
 * (the first token, the final usage, errors, the end).
 */

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const OPEN_BRACKET = 0x5b;
const LOWER_E = 0x65;
const USAGE_KEY = Buffer.from('"usage"');
const ERROR_KEY = Buffer.from('"error"');
const FINISH_REASON_KEY = Buffer.from('"finish_reason"');
const DONE_MARK = Buffer.from('[DONE]');
const EVENT_FIELD = Buffer.from('event:');

/**
 * Splits bytes into complete SSE events, each with its terminating blank line (`\n\n` or `\r\n\r\n`).
 * Events never contain a partial multi-byte character, since the split is on ASCII line breaks.
 */
export class SseEventSplitter {
  private pending: Buffer | null = null;

  /** Appends the complete events found in `chunk` (after what was pending) to `out`. */
  split(chunk: Buffer, out: Buffer[]): void {
    const buffer = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    let start = 0;
    let from = 0;
    for (;;) {
      const index = buffer.indexOf(LF, from);
      if (index === -1) break;
      const next = buffer[index + 1];
      let end = -1;
      if (next === LF) end = index + 2;
      else if (next === CR && buffer[index + 2] === LF) end = index + 3;
      if (end === -1) {
        from = index + 1;
        continue;
      }
      out.push(buffer.subarray(start, end));
      start = end;
      from = end;
    }
    this.pending = start === buffer.length ? null : buffer.subarray(start);
  }

  /** True when no partial event is pending: the next chunk starts at an event boundary. */
  isIdle(): boolean {
    return this.pending === null;
  }

  /** The bytes of an unterminated last event, if any (the stream ended mid-event). */
  takeRest(): Buffer | null {
    const rest = this.pending;
    this.pending = null;
    return rest;
  }
}

export interface UsageCounts {
  promptTokens: number;
  completionTokens: number;
}

/** What one event means to the gateway. */
export interface EventInfo {
  /** `data: [DONE]`. */
  done: boolean;
  /** An error event (in-band `{"error":…}` or `event: error`), with the provider's message. */
  error: string | null;
  /** The event carries generated output (content, tool calls, text, reasoning, refusal). */
  token: boolean;
  /** A choice finished (`finish_reason` set). */
  finish: boolean;
  /** Usage the event reports, when it has counts. */
  usage: UsageCounts | null;
  /** The event carries usage and no choices: a client that did not ask for usage must not see it. */
  usageOnly: boolean;
}

const NOTHING: EventInfo = Object.freeze({ done: false, error: null, token: false, finish: false, usage: null, usageOnly: false });
const DONE: EventInfo = Object.freeze({ done: true, error: null, token: false, finish: false, usage: null, usageOnly: false });
const TOKEN: EventInfo = Object.freeze({ done: false, error: null, token: true, finish: false, usage: null, usageOnly: false });
const TOKEN_FINISH: EventInfo = Object.freeze({ done: false, error: null, token: true, finish: true, usage: null, usageOnly: false });

/**
 * Classifies an event. With `full`, the JSON is always parsed (used until the first token, where every
 * event matters); otherwise only events whose bytes mention usage, an error or the end are parsed, and
 * everything else is assumed to be a token (what the bulk of a stream is).
 */
export function inspectEvent(event: Buffer, full: boolean): EventInfo {
  if (!full) {
    if (event.indexOf('"usage"') === -1 && event.indexOf('"error"') === -1 && event.indexOf('[DONE]') === -1 && event.indexOf('event:') === -1) {
      return hasFinishReason(event) ? TOKEN_FINISH : TOKEN;
    }
  }
  const { eventType, data } = parseEventText(event.toString('utf8'));
  if (data === null) return NOTHING;
  if (data === '[DONE]') return DONE;
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    if (eventType === 'error') return { ...NOTHING, error: data.slice(0, 500) };
    // Not JSON and not [DONE]: the upstream is broken.
    return { ...NOTHING, error: 'malformed stream chunk (not JSON)' };
  }
  if (!isRecord(json)) return { ...NOTHING, error: 'malformed stream chunk (not an object)' };
  if (eventType === 'error' || (json['error'] !== undefined && json['error'] !== null)) return { ...NOTHING, error: errorMessage(json) };
  const choices = Array.isArray(json['choices']) ? json['choices'] : [];
  let token = false;
  let finish = false;
  for (const choice of choices) {
    if (!isRecord(choice)) continue;
    if (typeof choice['finish_reason'] === 'string') finish = true;
    if (nonEmpty(choice['text'])) token = true;
    const delta = choice['delta'];
    if (isRecord(delta)) {
      if (nonEmpty(delta['content']) || nonEmpty(delta['reasoning_content']) || nonEmpty(delta['refusal'])) token = true;
      if (Array.isArray(delta['tool_calls']) && delta['tool_calls'].length > 0) token = true;
      if (isRecord(delta['function_call'])) token = true;
    }
    const message = choice['message'];
    if (isRecord(message) && nonEmpty(message['content'])) token = true;
  }
  const usage = usageOf(json['usage']);
  return { done: false, error: null, token, finish, usage, usageOnly: usage !== null && choices.length === 0 };
}

/**
 * The fast path for a chunk of a stream already past its first token: when the chunk is whole events
 * (ends on a blank line) none of which mentions usage, an error, an event type or the end, it needs no
 * splitting and can be forwarded as it is. Returns how many events it holds and whether one finished a
 * choice; null when the chunk needs the careful path.
 */
export function plainEvents(chunk: Buffer): { events: number; finish: boolean } | null {
  const length = chunk.length;
  if (length < 2 || chunk[length - 1] !== LF || chunk[length - 2] !== LF) return null;
  // One pass over the bytes: called for every chunk of every stream, where seven indexOf calls cost
  // more than the scan (1.7 µs for a 185-byte chunk).
  let events = 0;
  let finish = false;
  for (let index = 0; index < length; index++) {
    const byte = chunk[index];
    if (byte === LF) {
      if (chunk[index + 1] === LF) {
        events++;
        index++;
      }
    } else if (byte === QUOTE) {
      if (bytesAt(chunk, index, USAGE_KEY) || bytesAt(chunk, index, ERROR_KEY)) return null;
      if (!finish && bytesAt(chunk, index, FINISH_REASON_KEY)) finish = finishReasonIsSet(chunk, index);
    } else if (byte === CR || (byte === OPEN_BRACKET && bytesAt(chunk, index, DONE_MARK)) || (byte === LOWER_E && bytesAt(chunk, index, EVENT_FIELD))) {
      return null;
    }
  }
  return { events, finish };
}

/** Whether `bytes` holds `pattern` at `at`. */
function bytesAt(bytes: Buffer, at: number, pattern: Buffer): boolean {
  if (at + pattern.length > bytes.length) return false;
  for (let offset = 1; offset < pattern.length; offset++) if (bytes[at + offset] !== pattern[offset]) return false;
  return bytes[at] === pattern[0];
}

/** `usage.prompt_tokens` / `completion_tokens` when both are counts. */
export function usageOf(value: unknown): UsageCounts | null {
  if (!isRecord(value)) return null;
  const prompt = value['prompt_tokens'];
  const completion = value['completion_tokens'];
  if (!isCount(prompt) || !isCount(completion)) return null;
  return { promptTokens: prompt, completionTokens: completion };
}

function parseEventText(text: string): { eventType: string; data: string | null } {
  let eventType = '';
  let data: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('data:')) {
      const value = line.charCodeAt(5) === 0x20 ? line.slice(6) : line.slice(5);
      data = data === null ? value : `${data}\n${value}`;
    } else if (line.startsWith('event:')) {
      eventType = line.slice(6).trim();
    }
  }
  return { eventType, data: data?.trim() ?? null };
}

function hasFinishReason(event: Buffer): boolean {
  const at = event.indexOf('"finish_reason"');
  return at !== -1 && finishReasonIsSet(event, at);
}

/** After the `"finish_reason"` key at `at`: skip `:` and spaces; a string value (not null) means a choice finished. */
function finishReasonIsSet(bytes: Buffer, at: number): boolean {
  for (let index = at + 15; index < bytes.length; index++) {
    const byte = bytes[index];
    if (byte === 0x3a || byte === 0x20) continue;
    return byte === 0x22;
  }
  return false;
}

function errorMessage(json: Record<string, unknown>): string {
  const error = json['error'];
  if (typeof error === 'string') return error.slice(0, 500);
  if (isRecord(error) && typeof error['message'] === 'string') return error['message'].slice(0, 500);
  if (typeof json['message'] === 'string') return json['message'].slice(0, 500);
  return 'unknown error';
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
