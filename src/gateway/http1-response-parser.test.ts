import { describe, expect, it } from 'vitest';
import { Http1ResponseParser, HttpParseError, type ResponseHead } from './http1-response-parser.js';

/** Everything a parser reported for one response, fed as the given pieces. */
function parse(pieces: (string | Buffer)[], options: { closeAtEnd?: boolean } = {}) {
  const heads: ResponseHead[] = [];
  const body: Buffer[] = [];
  let completions = 0;
  const parser = new Http1ResponseParser({
    head: (head) => heads.push(head),
    body: (slice) => body.push(Buffer.from(slice)),
    complete: () => (completions += 1),
  });
  for (const piece of pieces) parser.push(typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece);
  const endedWhole = options.closeAtEnd ? parser.end() : null;
  return { heads, body: Buffer.concat(body).toString('latin1'), completions, endedWhole, parser };
}

/** The same bytes fed in two pieces, split at every position, and one byte at a time. */
function everySplit(raw: string): (string | Buffer)[][] {
  const splits: string[][] = [];
  for (let at = 1; at < raw.length; at++) splits.push([raw.slice(0, at), raw.slice(at)]);
  splits.push([...raw]);
  return splits;
}

const CHUNKED =
  'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n' +
  'f\r\ndata: {"a":1}\n\n\r\n' +
  'e;name=value\r\ndata: [DONE]\n\n\r\n' +
  '0\r\nx-trailer: yes\r\n\r\n';

describe('Http1ResponseParser', () => {
  it('reads a Content-Length body wherever the socket splits it', () => {
    const raw = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}';
    for (const pieces of everySplit(raw)) {
      const result = parse(pieces);
      expect(result.heads).toEqual([{ status: 200, headers: new Map([['content-type', 'application/json'], ['content-length', '11']]), keepAlive: true, keepAliveTimeoutMs: null }]);
      expect(result.body).toBe('{"ok":true}');
      expect(result.completions).toBe(1);
    }
  });

  it('de-chunks a chunked body with chunk extensions and trailers wherever the socket splits it', () => {
    for (const pieces of everySplit(CHUNKED)) {
      const result = parse(pieces);
      expect(result.heads[0]?.status).toBe(200);
      expect(result.heads[0]?.keepAlive).toBe(true);
      expect(result.body).toBe('data: {"a":1}\n\ndata: [DONE]\n\n');
      expect(result.completions).toBe(1);
    }
  });

  it('hands body bytes on as slices of the pushed buffer, not copies', () => {
    const chunk = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello');
    const slices: Buffer[] = [];
    const parser = new Http1ResponseParser({ head: () => undefined, body: (slice) => slices.push(slice), complete: () => undefined });
    parser.push(chunk);
    expect(slices[0]?.buffer).toBe(chunk.buffer);
  });

  it('reads a body without framing until the connection closes, and never reuses that connection', () => {
    const result = parse(['HTTP/1.1 200 OK\r\n\r\npart one, ', 'part two'], { closeAtEnd: true });
    expect(result.heads[0]?.keepAlive).toBe(false);
    expect(result.body).toBe('part one, part two');
    expect(result.endedWhole).toBe(true);
    expect(result.completions).toBe(1);
  });

  it('says a body cut short by the close did not arrive whole', () => {
    const result = parse(['HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf'], { closeAtEnd: true });
    expect(result.endedWhole).toBe(false);
    expect(result.completions).toBe(0);
    expect(result.parser.hasHead).toBe(true);
    expect(parse(['HTTP/1.1 200 OK\r\ncontent'], { closeAtEnd: true }).parser.hasHead).toBe(false);
  });

  it('skips interim 1xx responses', () => {
    const result = parse(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok']);
    expect(result.heads.map((head) => head.status)).toEqual([201]);
    expect(result.body).toBe('ok');
  });

  it('completes 204, 304 and zero-length responses at their head', () => {
    for (const raw of ['HTTP/1.1 204 No Content\r\n\r\n', 'HTTP/1.1 304 Not Modified\r\ncontent-length: 40\r\n\r\n', 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n']) {
      const result = parse([raw]);
      expect(result.completions).toBe(1);
      expect(result.body).toBe('');
    }
  });

  it('decides keep-alive from the version and the Connection header, and reads the Keep-Alive hint', () => {
    expect(parse(['HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n']).heads[0]?.keepAlive).toBe(false);
    expect(parse(['HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n']).heads[0]?.keepAlive).toBe(false);
    const kept = parse(['HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nKeep-Alive: timeout=5, max=100\r\ncontent-length: 0\r\n\r\n']).heads[0];
    expect(kept).toMatchObject({ keepAlive: true, keepAliveTimeoutMs: 5_000 });
  });

  it('joins repeated headers and accepts repeated Content-Length values that agree', () => {
    const result = parse(['HTTP/1.1 200 OK\r\nx-a: 1\r\nX-A: 2\r\ncontent-length: 2, 2\r\n\r\nok']);
    expect(result.heads[0]?.headers.get('x-a')).toBe('1, 2');
    expect(result.body).toBe('ok');
  });

  it('with both Transfer-Encoding and Content-Length, reads chunked and does not reuse the connection', () => {
    const result = parse(['HTTP/1.1 200 OK\r\ncontent-length: 100\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n']);
    expect(result.body).toBe('ok');
    expect(result.heads[0]?.keepAlive).toBe(false);
  });

  it.each([
    ['a malformed status line', 'HTTP/2 200 OK\r\n\r\n', /malformed status line/],
    ['conflicting Content-Length values', 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nok', /invalid Content-Length/],
    ['a signed Content-Length', 'HTTP/1.1 200 OK\r\ncontent-length: +2\r\n\r\nok', /invalid Content-Length/],
    ['obsolete line folding', 'HTTP/1.1 200 OK\r\nx-a: 1\r\n  folded\r\ncontent-length: 0\r\n\r\n', /obsolete line folding/],
    ['a bare LF inside a header', 'HTTP/1.1 200 OK\r\nx-a: 1\nx-b: 2\r\ncontent-length: 0\r\n\r\n', /invalid character/],
    ['a bare CR at the end of a value', 'HTTP/1.1 200 OK\r\nx-a: 1\r\r\ncontent-length: 0\r\n\r\n', /invalid character/],
    ['a space before the colon', 'HTTP/1.1 200 OK\r\ncontent-length : 0\r\n\r\n', /malformed header name/],
    ['a malformed chunk size', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n', /malformed chunk size/],
    ['chunk data longer than its size', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nokay\r\n', /not followed by CRLF/],
    ['bytes after a complete response', 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n', /bytes after a complete response/],
    ['a switch of protocols', 'HTTP/1.1 101 Switching Protocols\r\nupgrade: h2c\r\n\r\n', /switched protocols/],
  ])('refuses %s', (_what, raw, message) => {
    expect(() => parse([raw])).toThrow(HttpParseError);
    expect(() => parse([raw])).toThrow(message);
  });

  it('refuses a head that never ends instead of buffering it without limit', () => {
    const parser = new Http1ResponseParser({ head: () => undefined, body: () => undefined, complete: () => undefined });
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\n'));
    expect(() => parser.push(Buffer.alloc(70 * 1024, 'a'))).toThrow(/response head longer than/);
  });

  it('reads the next response after reset, as a kept-alive connection does', () => {
    const bodies: string[] = [];
    const parser = new Http1ResponseParser({ head: () => undefined, body: (slice) => bodies.push(slice.toString()), complete: () => undefined });
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\none'));
    parser.reset();
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\ntwo'));
    expect(bodies).toEqual(['one', 'two']);
  });
});
