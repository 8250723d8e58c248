import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inspectEvent, plainEvents, SseEventSplitter } from './sse-tap.js';

const chunk = (delta: Record<string, unknown>, finish: string | null = null) => `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

describe('SseEventSplitter', () => {
  it('yields the same complete events however the bytes are cut', () => {
    const events = [chunk({ role: 'assistant', content: '' }), chunk({ content: 'héllo 👋' }), 'data: {"a":1}\r\n\r\n', chunk({}, 'stop'), 'data: [DONE]\n\n'];
    const bytes = Buffer.from(events.join(''));
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), (cuts) => {
        const splitter = new SseEventSplitter();
        const out: Buffer[] = [];
        let start = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          splitter.split(bytes.subarray(start, cut), out);
          start = cut;
        }
        splitter.split(bytes.subarray(start), out);
        expect(out.map((event) => event.toString('utf8'))).toEqual(events);
        expect(splitter.takeRest()).toBeNull();
      }),
    );
  });

  it('keeps an unterminated last event', () => {
    const splitter = new SseEventSplitter();
    const out: Buffer[] = [];
    splitter.split(Buffer.from('data: [DONE]'), out);
    expect(out).toEqual([]);
    expect(splitter.takeRest()?.toString()).toBe('data: [DONE]');
  });
});

describe('inspectEvent', () => {
  const inspect = (text: string, full = true) => inspectEvent(Buffer.from(text), full);

  it('tells output from framing', () => {
    expect(inspect(chunk({ role: 'assistant', content: '' })).token).toBe(false);
    expect(inspect(chunk({ content: 'hi' })).token).toBe(true);
    expect(inspect(chunk({ tool_calls: [{ index: 0, function: { name: 'f' } }] })).token).toBe(true);
    expect(inspect(chunk({ reasoning_content: 'hmm' })).token).toBe(true);
    expect(inspect(chunk({}, 'stop'))).toMatchObject({ token: false, finish: true });
    expect(inspect('data: [DONE]\n\n').done).toBe(true);
  });

  it('reads usage and marks usage-only chunks', () => {
    const usage = 'data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}\n\n';
    for (const full of [true, false]) expect(inspect(usage, full)).toMatchObject({ usage: { promptTokens: 5, completionTokens: 7 }, usageOnly: true });
    // LoRAX-style usage on a content chunk: counted, not dropped.
    const onContent = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'x' } }], usage: { prompt_tokens: 1, completion_tokens: 2 } })}\n\n`;
    expect(inspect(onContent, false)).toMatchObject({ token: true, usageOnly: false, usage: { completionTokens: 2 } });
  });

  it('finds errors in-band and as error events, but not in content that merely mentions one', () => {
    expect(inspect('data: {"error":{"message":"boom"}}\n\n', false).error).toBe('boom');
    expect(inspect('event: error\ndata: {"message":"bad"}\n\n', false).error).toBe('bad');
    expect(inspect(chunk({ content: 'an "error" in prose' }), false).error).toBeNull();
    expect(inspect('data: {not json\n\n').error).toMatch(/malformed/);
  });

  it('sees finish_reason with or without spaces on the fast path', () => {
    expect(inspect('data: {"choices":[{"delta":{},"finish_reason": "length"}]}\n\n', false).finish).toBe(true);
    expect(inspect('data: {"choices":[{"delta":{"content":"a"},"finish_reason":null}]}\n\n', false).finish).toBe(false);
  });
});

describe('plainEvents', () => {
  it('passes whole token events through untouched, counting them', () => {
    expect(plainEvents(Buffer.from(chunk({ content: 'a' }) + chunk({ content: 'b' })))).toEqual({ events: 2, finish: false });
    expect(plainEvents(Buffer.from(chunk({ content: 'a' }) + chunk({}, 'stop')))).toEqual({ events: 2, finish: true });
  });

  it('sends everything else down the careful path', () => {
    expect(plainEvents(Buffer.from(chunk({ content: 'a' }).slice(0, -1)))).toBeNull(); // cut mid-event
    expect(plainEvents(Buffer.from('data: [DONE]\n\n'))).toBeNull();
    expect(plainEvents(Buffer.from('data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\n'))).toBeNull();
    expect(plainEvents(Buffer.from('data: {"error":{"message":"x"}}\n\n'))).toBeNull();
    expect(plainEvents(Buffer.from('event: error\ndata: {}\n\n'))).toBeNull();
    expect(plainEvents(Buffer.from('data: {"a":1}\r\n\r\n'))).toBeNull();
  });

  it('agrees with a plain indexOf reading on chunks of every kind', () => {
    // The reference: what the single pass replaced, one indexOf per marker.
    const reference = (bytes: Buffer): { events: number; finish: boolean } | null => {
      if (bytes.length < 2 || !bytes.subarray(-2).equals(Buffer.from('\n\n'))) return null;
      if (['"usage"', '"error"', '[DONE]', 'event:', '\r'].some((marker) => bytes.includes(marker))) return null;
      let events = 0;
      for (let at = bytes.indexOf('\n\n'); at !== -1; at = bytes.indexOf('\n\n', at + 2)) events++;
      const finish = /"finish_reason"[: ]*"/.test(bytes.toString('latin1'));
      return { events, finish };
    };
    const pieces = [
      chunk({ content: 'a' }),
      chunk({ content: 'the "usage" of words' }),
      chunk({ content: 'event: noted' }),
      chunk({ content: '[DONE] soon' }),
      chunk({}, 'stop'),
      chunk({ content: 'x' }, 'length'),
      'data: {"choices":[{"delta":{"content":"e"},"finish_reason" : "stop"}]}\n\n',
      'data: {"choices":[{"delta":{},"finish_reason":null}]}\n\n',
      'data: {"error":{"message":"x"}}\n\n',
      'data: {"a":1}\r\n\r\n',
      '\n\n\n',
      'data: "',
      'data: [DONE]\n\n',
    ];
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let round = 0; round < 2_000; round++) {
      const parts = Array.from({ length: 1 + Math.floor(random() * 4) }, () => pieces[Math.floor(random() * pieces.length)] as string);
      const bytes = Buffer.from(parts.join(''));
      expect(plainEvents(bytes), JSON.stringify(parts)).toEqual(reference(bytes));
    }
  });
});
