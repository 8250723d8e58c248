// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { createSseParser, readSse, type SseEvent } from './sse';

function parse(chunks: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createSseParser((event) => events.push(event));
  chunks.forEach((chunk) => parser.push(chunk));
  parser.end();
  return events;
}

describe('server-sent event parsing', () => {
  it('reads named events, whatever the chunk boundaries', () => {
    const text = 'event: delta\ndata: {"text":"Hel"}\n\nevent: delta\ndata: {"text":"lo"}\n\nevent: result\ndata: {"id":"1"}\n\n';
    const expected = [
      { event: 'delta', data: '{"text":"Hel"}' },
      { event: 'delta', data: '{"text":"lo"}' },
      { event: 'result', data: '{"id":"1"}' },
    ];
    expect(parse([text])).toEqual(expected);
    expect(parse(text.split(''))).toEqual(expected);
    expect(parse([text.slice(0, 17), text.slice(17, 40), text.slice(40)])).toEqual(expected);
  });

  it('handles CRLF (also split between chunks), comments, unnamed events and multi-line data', () => {
    expect(parse([': keep-alive\r', '\n\r\ndata: a\r\ndata: b\r', '\n\r\n'])).toEqual([{ event: 'message', data: 'a\nb' }]);
  });

  it('delivers a last event that lacks its blank line, and skips events without data', () => {
    expect(parse(['event: ready\n\nevent: result\ndata: {}'])).toEqual([{ event: 'result', data: '{}' }]);
  });

  it('reads a fetch response body as it arrives', async () => {
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('event: delta\ndata: {"text":"a"}\n'));
        controller.enqueue(encoder.encode('\nevent: delta\ndata: {"text":"b"}\n\n'));
        controller.close();
      },
    });
    const events: SseEvent[] = [];
    for await (const event of readSse(new Response(body))) events.push(event);
    expect(events.map((event) => event.data)).toEqual(['{"text":"a"}', '{"text":"b"}']);
  });
});
