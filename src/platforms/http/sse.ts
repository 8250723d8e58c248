/**
 * A server-sent events parser (WHATWG HTML §9.2.6) over a fetch body. Chunks may split anywhere: inside a
 * line, between CR and LF, inside a multi-byte character.
 */

export interface SseEvent {
  /** The `event:` field; `message` when absent. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last `id:` seen on the stream so far (it carries over events), undefined before any. */
  id: string | undefined;
  /** Reconnection time the server asked for, in ms, when this event set one. */
  retry?: number;
}

/**
 * Incremental parser over text. Feed it decoded text with `push`; call `end` once the stream is over.
 *
 * One deliberate departure from the spec: at end of stream a pending event with data is dispatched
 * instead of discarded. Some OpenAI-style servers end with `data: [DONE]` and no blank line, and
 * dropping that final event would make a complete answer look cut.
 */
export class SseParser {
  private buffer = '';
  private started = false;
  private eventType = '';
  private data = '';
  private hasData = false;
  private lastId: string | undefined;
  private retry: number | undefined;

  /** Parses as much of `text` as forms complete lines; keeps the rest for the next push. */
  push(text: string): SseEvent[] {
    this.buffer += text;
    if (!this.started && this.buffer.length > 0) {
      this.started = true;
      if (this.buffer.startsWith('\uFEFF')) this.buffer = this.buffer.slice(1);
    }
    return this.drain(false);
  }

  /** Flushes the last line and any pending event. */
  end(): SseEvent[] {
    const events = this.drain(true);
    if (this.buffer.length > 0) {
      const event = this.processLine(this.buffer);
      this.buffer = '';
      if (event) events.push(event);
    }
    const pending = this.dispatch();
    if (pending) events.push(pending);
    return events;
  }

  private drain(final: boolean): SseEvent[] {
    const events: SseEvent[] = [];
    let start = 0;
    const buffer = this.buffer;
    for (let index = 0; index < buffer.length; index += 1) {
      const char = buffer.charCodeAt(index);
      if (char !== 10 && char !== 13) continue;
      if (char === 13) {
        // A CR as the last character may be the first half of CRLF: wait for the next chunk.
        if (index + 1 === buffer.length && !final) break;
        const event = this.processLine(buffer.slice(start, index));
        if (event) events.push(event);
        if (buffer.charCodeAt(index + 1) === 10) index += 1;
      } else {
        const event = this.processLine(buffer.slice(start, index));
        if (event) events.push(event);
      }
      start = index + 1;
    }
    this.buffer = buffer.slice(start);
    return events;
  }

  private processLine(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data = this.hasData ? `${this.data}\n${value}` : value;
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        // Unknown fields are ignored, as the spec says.
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const event: SseEvent | undefined = this.hasData
      ? {
          event: this.eventType === '' ? 'message' : this.eventType,
          data: this.data,
          id: this.lastId,
          ...(this.retry === undefined ? {} : { retry: this.retry }),
        }
      : undefined;
    this.eventType = '';
    this.data = '';
    this.hasData = false;
    this.retry = undefined;
    return event;
  }
}

/**
 * Reads events from a response (or its body) as they arrive. Breaking out of the loop cancels the body,
 * which closes the connection. Errors from the body propagate unchanged.
 */
export async function* readSseEvents(source: Response | ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const body = source instanceof Response ? source.body : source;
  if (!body) return;
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8');
  const parser = new SseParser();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    finished = true;
    yield* parser.push(decoder.decode());
    yield* parser.end();
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
