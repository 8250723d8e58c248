import { describe, expect, it } from 'vitest';
import { readServerSentEvents } from './sse.js';

async function collect(chunks: string[]) {
  const encoder = new TextEncoder();
  async function* body() {
    for (const chunk of chunks) yield encoder.encode(chunk);
  }
  const events = [];
  for await (const event of readServerSentEvents(body())) events.push(event);
  return events;
}

describe('readServerSentEvents', () => {
  it('reads named events, skips comments and joins multi-line data', async () => {
    const events = await collect([': keep-alive\n\nevent: delta\ndata: {"text":"hi"}\n\n', 'event: result\ndata: a\ndata: b\n\n']);
    expect(events).toEqual([
      { event: 'delta', data: '{"text":"hi"}' },
      { event: 'result', data: 'a\nb' },
    ]);
  });

  it('reassembles events split across chunks, including a split \\r\\n and a split UTF-8 character', async () => {
    const bytes = new TextEncoder().encode('event: delta\r\ndata: {"text":"é"}\r\n\r\n');
    const decoderInput = [bytes.slice(0, 13), bytes.slice(13, 30), bytes.slice(30)];
    async function* body() {
      for (const chunk of decoderInput) yield chunk;
    }
    const events = [];
    for await (const event of readServerSentEvents(body())) events.push(event);
    expect(events).toEqual([{ event: 'delta', data: '{"text":"é"}' }]);
  });

  it('delivers a last event that is not followed by a blank line', async () => {
    expect(await collect(['data: x'])).toEqual([{ event: 'message', data: 'x' }]);
  });
});
