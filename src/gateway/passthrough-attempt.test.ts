import { describe, expect, it } from 'vitest';
import { oldSpaceGrowthWhile } from '../../test/helpers/old-space.js';
import { upstreamBodyOf } from './passthrough-attempt.js';

const clientBody = (extra: string) => JSON.parse(`{"model":"bot","messages":[{"role":"user","content":"hi"}]${extra}}`) as Record<string, unknown>;

describe('the body sent upstream', () => {
  it('names the upstream model and keeps everything else the client sent, in order', () => {
    const body = clientBody(',"temperature":0.2,"tools":[{"type":"function"}]');
    expect(JSON.stringify(upstreamBodyOf({ body, stream: false, maxTokensCap: null }, 'llama-3'))).toBe(
      '{"model":"llama-3","messages":[{"role":"user","content":"hi"}],"temperature":0.2,"tools":[{"type":"function"}]}',
    );
    expect(body['model']).toBe('bot');
  });

  it('asks a stream for its usage chunk, keeping the client’s other stream options', () => {
    expect(upstreamBodyOf({ body: clientBody(',"stream":true'), stream: true, maxTokensCap: null }, 'm')['stream_options']).toEqual({ include_usage: true });
    const body = clientBody(',"stream":true,"stream_options":{"include_usage":false,"other":1}');
    expect(upstreamBodyOf({ body, stream: true, maxTokensCap: null }, 'm')['stream_options']).toEqual({ include_usage: true, other: 1 });
    expect(body['stream_options']).toEqual({ include_usage: false, other: 1 });
  });

  it('bounds the answer for a budget only when the client set no limit', () => {
    expect(upstreamBodyOf({ body: clientBody(''), stream: false, maxTokensCap: 512 }, 'm')['max_tokens']).toBe(512);
    expect(upstreamBodyOf({ body: clientBody(',"max_tokens":16'), stream: false, maxTokensCap: 512 }, 'm')['max_tokens']).toBe(16);
    expect(upstreamBodyOf({ body: clientBody(',"max_completion_tokens":16'), stream: false, maxTokensCap: 512 }, 'm')['max_tokens']).toBeUndefined();
  });

  it('leaves nothing in old space when it adds fields: 20,000 bodies grow it well under 1 MB', () => {
    // Written as `{ ...body, model }` plus the added fields, V8 made a new map per body in old space:
    // about 4 MB for these 20,000. The first calls compile and are left out.
    const build = () => JSON.stringify(upstreamBodyOf({ body: clientBody(',"stream":true'), stream: true, maxTokensCap: 512 }, 'm'));
    for (let index = 0; index < 5_000; index++) build();
    const growth = oldSpaceGrowthWhile(20_000, build);
    expect(growth).toBeLessThan(1024 * 1024);
  });
});
