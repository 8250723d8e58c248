import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSseEvents, SseParser, type SseEvent } from './sse.js';

function parseWhole(text: string): SseEvent[] {
  const parser = new SseParser();
  return [...parser.push(text), ...parser.end()];
}

/** A body that delivers `bytes` in the given chunks. */
function chunkedBody(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    if (point > start) chunks.push(bytes.slice(start, point));
    start = Math.max(start, point);
  }
  return new ReadableStream({
    pull(controller) {
      const next = chunks.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(next);
    },
  });
}

async function collect(body: ReadableStream<Uint8Array>): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSseEvents(body)) events.push(event);
  return events;
}

describe('SseParser', () => {
  it('parses events, types, ids and comments', () => {
    const events = parseWhole(': keep-alive\n\nevent: output\nid: 1\ndata: hello\n\ndata: {"a":1}\n\n');
    expect(events).toEqual([
      { event: 'output', data: 'hello', id: '1' },
      // ids carry over to later events
      { event: 'message', data: '{"a":1}', id: '1' },
    ]);
  });

  it('joins multi-line data with newlines and keeps extra spaces after the first', () => {
    expect(parseWhole('data: one\ndata:two\ndata:   three\n\n')).toEqual([
      { event: 'message', data: 'one\ntwo\n  three', id: undefined },
    ]);
  });

  it('accepts CRLF, CR and LF line endings', () => {
    const expected = [{ event: 'message', data: 'x', id: undefined }];
    expect(parseWhole('data: x\r\n\r\n')).toEqual(expected);
    expect(parseWhole('data: x\r\r')).toEqual(expected);
    expect(parseWhole('data: x\n\n')).toEqual(expected);
  });

  it('does not dispatch an event without data', () => {
    expect(parseWhole('event: ping\n\n: comment\n\n')).toEqual([]);
  });

  it('dispatches an empty data line as an empty string', () => {
    expect(parseWhole('data:\n\n')).toEqual([{ event: 'message', data: '', id: undefined }]);
  });

  it('reads retry and ignores unknown fields', () => {
    expect(parseWhole('retry: 3000\nfoo: bar\ndata: x\n\n')).toEqual([
      { event: 'message', data: 'x', id: undefined, retry: 3000 },
    ]);
  });

  it('dispatches a last event that lacks the final blank line', () => {
    expect(parseWhole('data: a\n\ndata: [DONE]')).toEqual([
      { event: 'message', data: 'a', id: undefined },
      { event: 'message', data: '[DONE]', id: undefined },
    ]);
  });

  it('strips a leading byte order mark', () => {
    expect(parseWhole('\uFEFFdata: x\n\n')).toEqual([{ event: 'message', data: 'x', id: undefined }]);
  });

  it('waits for the LF after a CR at the end of a chunk', () => {
    const parser = new SseParser();
    expect(parser.push('data: x\r')).toEqual([]);
    // One CRLF, not CR + LF (which would be a blank line and dispatch early).
    expect(parser.push('\ndata: y\r\n\r\n')).toEqual([{ event: 'message', data: 'x\ny', id: undefined }]);
  });
});

/** Arbitrary well-formed streams: events in many spellings with comments and mixed line endings. */
const fieldValue = fc
  .string({ unit: 'grapheme', maxLength: 12 })
  .filter((value) => !/[\r\n\0]/.test(value));
const lineEnding = fc.constantFrom('\n', '\r\n', '\r');
const eventArbitrary = fc.record({
  type: fc.option(fc.stringMatching(/^[a-z]{1,8}$/), { nil: undefined }),
  id: fc.option(fc.stringMatching(/^[a-z0-9]{1,6}$/), { nil: undefined }),
  dataLines: fc.array(fieldValue, { minLength: 1, maxLength: 4 }),
  comment: fc.option(fieldValue, { nil: undefined }),
  compactColon: fc.boolean(),
});
const streamArbitrary = fc.tuple(fc.array(eventArbitrary, { maxLength: 8 }), lineEnding);

type GeneratedStream = [events: { type?: string; id?: string; dataLines: string[]; comment?: string; compactColon: boolean }[], newline: string];

function serialise([events, newline]: GeneratedStream): { text: string; expected: SseEvent[] } {
  let text = '';
  const expected: SseEvent[] = [];
  let lastId: string | undefined;
  for (const event of events) {
    if (event.comment !== undefined) text += `:${event.comment}${newline}`;
    if (event.type !== undefined) text += `event: ${event.type}${newline}`;
    if (event.id !== undefined) {
      text += `id: ${event.id}${newline}`;
      lastId = event.id;
    }
    for (const line of event.dataLines) {
      // `data:x` is only unambiguous when the value does not itself start with a space.
      text += event.compactColon && !line.startsWith(' ') ? `data:${line}${newline}` : `data: ${line}${newline}`;
    }
    text += newline;
    expected.push({ event: event.type ?? 'message', data: event.dataLines.join('\n'), id: lastId });
  }
  return { text, expected };
}

describe('SSE fuzzing', () => {
  it('parses any well-formed stream into exactly the events that were written', () => {
    fc.assert(
      fc.property(streamArbitrary, (stream) => {
        const { text, expected } = serialise(stream);
        expect(parseWhole(text)).toEqual(expected);
      }),
    );
  });

  it('gives identical events however the bytes are chunked', async () => {
    await fc.assert(
      fc.asyncProperty(streamArbitrary, fc.array(fc.nat(), { maxLength: 20 }), async (stream, cuts) => {
        const { text } = serialise(stream);
        const bytes = new TextEncoder().encode(text);
        expect(await collect(chunkedBody(bytes, cuts))).toEqual(parseWhole(text));
      }),
      { numRuns: 200 },
    );
  });

  it('gives identical events for byte-at-a-time delivery', async () => {
    await fc.assert(
      fc.asyncProperty(streamArbitrary, async (stream) => {
        const { text } = serialise(stream);
        const bytes = new TextEncoder().encode(text);
        const everyByte = Array.from({ length: bytes.length }, (_, index) => index);
        expect(await collect(chunkedBody(bytes, everyByte))).toEqual(parseWhole(text));
      }),
      { numRuns: 50 },
    );
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 30 }), { maxLength: 10 }), (chunks) => {
        const parser = new SseParser();
        for (const chunk of chunks) parser.push(chunk);
        parser.end();
      }),
    );
  });
});

describe('readSseEvents', () => {
  it('cancels the body when the consumer stops early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: tick\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const event of readSseEvents(body)) {
      expect(event.data).toBe('tick');
      break;
    }
    expect(cancelled).toBe(true);
  });

  it('propagates a body error', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: a\n\n'));
        controller.error(new Error('connection reset'));
      },
    });
    await expect(collect(body)).rejects.toThrow('connection reset');
  });
});
