import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_HEAD_BYTES, readCompletionRequestHead } from './http1-request-head.js';

const BODY_LIMIT = 1024 * 1024;
const CHAT_LINE = 'POST /v1/chat/completions HTTP/1.1';
/** The least a recognised request carries; each 'other' case below changes one thing in it. */
const MINIMAL_HEADERS = ['host: gateway.test', 'content-type: application/json', 'content-length: 2'];

/**
 * The head made of these lines, ended by the empty line. Latin1 so a line's characters are its bytes:
 * obs-text (0x80–0xff) arrives as single bytes, as a client sends it.
 */
function requestHead(lines: string[]): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

function read(buffer: Buffer, bodyLimit = BODY_LIMIT) {
  return readCompletionRequestHead(buffer, bodyLimit);
}

/** A head padded with one filler header to exactly `size` bytes. */
function headOfSize(size: number): Buffer {
  const base = requestHead([CHAT_LINE, ...MINIMAL_HEADERS, 'x-padding: ']);
  return requestHead([CHAT_LINE, ...MINIMAL_HEADERS, `x-padding: ${'p'.repeat(size - base.length)}`]);
}

describe('readCompletionRequestHead: recognised requests', () => {
  it('reads the head the OpenAI SDK sends for a chat completion', () => {
    const head = requestHead([
      CHAT_LINE,
      'Host: 127.0.0.1:8080',
      'Authorization: Bearer mp_live_0123456789abcdef',
      'Content-Type: application/json',
      'Content-Length: 88',
      'Accept: application/json',
      // Optional whitespace is spaces and tabs, on either side of the value.
      'User-Agent: \t OpenAI/JS 6.49.0 \t',
      'X-Stainless-Lang: js',
      'X-Stainless-Package-Version: 6.49.0',
      'X-Stainless-OS: Linux',
      'X-Stainless-Arch: x64',
      'X-Stainless-Runtime: node',
      'X-Stainless-Runtime-Version: v20.20.2',
      'X-Stainless-Retry-Count: 0',
      'X-Stainless-Timeout: 600',
      'accept-encoding: gzip, deflate',
    ]);
    expect(read(head)).toEqual({
      endpoint: 'chat',
      bodyStart: head.length,
      contentLength: 88,
      headers: new Map(Object.entries({
        host: '127.0.0.1:8080',
        authorization: 'Bearer mp_live_0123456789abcdef',
        'content-type': 'application/json',
        'content-length': '88',
        accept: 'application/json',
        'user-agent': 'OpenAI/JS 6.49.0',
        'x-stainless-lang': 'js',
        'x-stainless-package-version': '6.49.0',
        'x-stainless-os': 'Linux',
        'x-stainless-arch': 'x64',
        'x-stainless-runtime': 'node',
        'x-stainless-runtime-version': 'v20.20.2',
        'x-stainless-retry-count': '0',
        'x-stainless-timeout': '600',
        'accept-encoding': 'gzip, deflate',
      })),
      keepAlive: true,
    });
  });

  it('reads POST /v1/completions as the text endpoint', () => {
    const reading = read(requestHead(['POST /v1/completions HTTP/1.1', ...MINIMAL_HEADERS]));
    expect(reading).toMatchObject({ endpoint: 'text', contentLength: 2 });
  });

  it('trims only spaces and tabs around a value, not what String#trim removes', () => {
    // A no-break space (0xa0) is obs-text to HTTP, part of the value; String#trim would drop it.
    const reading = read(requestHead([CHAT_LINE, ...MINIMAL_HEADERS, 'x-title:\t \xa0padded\xa0 \t']));
    expect(typeof reading === 'object' && reading.headers.get('x-title')).toBe('\xa0padded\xa0');
  });

  it('accepts a JSON content type with a charset parameter, in any case', () => {
    expect(read(requestHead([CHAT_LINE, 'host: gateway.test', 'content-type: application/json; charset=utf-8', 'content-length: 2']))).toMatchObject({ endpoint: 'chat' });
    expect(read(requestHead([CHAT_LINE, 'host: gateway.test', 'content-type: Application/JSON', 'content-length: 2']))).toMatchObject({ endpoint: 'chat' });
  });

  it.each([
    ['keep-alive', true],
    ['Keep-Alive', true],
    ['close', false],
    ['CLOSE', false],
    ['Keep-Alive, close', false],
    ['close ,keep-alive', false],
  ])('reads Connection: %s as keepAlive %s', (connection, keepAlive) => {
    expect(read(requestHead([CHAT_LINE, ...MINIMAL_HEADERS, `Connection: ${connection}`]))).toMatchObject({ keepAlive });
  });

  it('accepts a Content-Length of exactly the body limit, and optional whitespace around it', () => {
    const head = requestHead([CHAT_LINE, 'host: gateway.test', 'content-type: application/json', 'content-length: \t4096 ']);
    expect(read(head, 4096)).toMatchObject({ contentLength: 4096 });
    expect(read(head, 4095)).toBe('other');
  });

  it('leaves a Content-Length of ten or more digits to Node, whatever the body limit', () => {
    // Past nine digits a number can lose precision, and no body limit is that large.
    const head = (length: string) => requestHead([CHAT_LINE, 'host: gateway.test', 'content-type: application/json', `content-length: ${length}`]);
    expect(read(head('999999999'), Number.MAX_SAFE_INTEGER)).toMatchObject({ contentLength: 999_999_999 });
    expect(read(head('1000000000'), Number.MAX_SAFE_INTEGER)).toBe('other');
    expect(read(head('0000000002'), Number.MAX_SAFE_INTEGER)).toBe('other');
    expect(read(head('99999999999999999999'), Number.MAX_SAFE_INTEGER)).toBe('other');
  });

  it('treats headers named constructor and __proto__ as ordinary headers', () => {
    // On a plain object `constructor` would already be `in` the headers and `__proto__` would not be stored.
    const reading = read(requestHead([CHAT_LINE, ...MINIMAL_HEADERS, 'constructor: built', '__proto__: polluted']));
    if (typeof reading === 'string') throw new Error(`expected a recognised head, got ${reading}`);
    expect(reading.headers.get('constructor')).toBe('built');
    expect(reading.headers.get('__proto__')).toBe('polluted');
    expect([...reading.headers.keys()]).toEqual(['host', 'content-type', 'content-length', 'constructor', '__proto__']);
  });

  it('reads obs-text bytes (0x80–0xff) in a value as latin1, as Node does', () => {
    const bytes = Buffer.from([...Buffer.from(`${CHAT_LINE}\r\n${MINIMAL_HEADERS.join('\r\n')}\r\nx-title: caf`, 'latin1'), 0xe9, 0x20, 0x80, 0xff, ...Buffer.from('\r\n\r\n', 'latin1')]);
    const reading = read(bytes);
    expect(reading).toMatchObject({ bodyStart: bytes.length });
    expect(typeof reading === 'object' && reading.headers.get('x-title')).toBe('caf\u00e9 \u0080\u00ff');
  });

  it('points bodyStart at the body when the buffer also holds the body and a pipelined request', () => {
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(MAX_REQUEST_HEAD_BYTES) }] });
    const first = requestHead([CHAT_LINE, 'host: gateway.test', 'content-type: application/json', `content-length: ${Buffer.byteLength(body)}`]);
    const second = requestHead(['POST /v1/completions HTTP/1.1', ...MINIMAL_HEADERS]);
    const buffer = Buffer.concat([first, Buffer.from(body), second, Buffer.from('{}')]);
    // The buffer is larger than a head may be; only the head counts against the limit.
    expect(buffer.length).toBeGreaterThan(MAX_REQUEST_HEAD_BYTES);
    const reading = read(buffer);
    if (typeof reading === 'string') throw new Error(`expected a recognised head, got ${reading}`);
    expect(reading.bodyStart).toBe(first.length);
    expect(buffer.toString('utf8', reading.bodyStart, reading.bodyStart + reading.contentLength)).toBe(body);
    const rest = buffer.subarray(reading.bodyStart + reading.contentLength);
    expect(read(rest)).toMatchObject({ endpoint: 'text', bodyStart: second.length, contentLength: 2 });
  });
});

describe('readCompletionRequestHead: incomplete and oversized heads', () => {
  const head = requestHead([CHAT_LINE, ...MINIMAL_HEADERS]);

  it.each([
    ['nothing', 0],
    ['part of the request line', 10],
    ['the request line and its CRLF', CHAT_LINE.length + 2],
    ['part of a header', CHAT_LINE.length + 8],
    ['every header but not the empty line', head.length - 2],
    ['all but the last LF', head.length - 1],
  ])('is incomplete with %s', (_description, length) => {
    expect(read(head.subarray(0, length))).toBe('incomplete');
  });

  it('is incomplete up to MAX_REQUEST_HEAD_BYTES without a head end, and other beyond', () => {
    const unended = Buffer.from(`${CHAT_LINE}\r\n${MINIMAL_HEADERS.join('\r\n')}\r\nx-padding: ${'p'.repeat(MAX_REQUEST_HEAD_BYTES)}`, 'latin1');
    expect(read(unended.subarray(0, MAX_REQUEST_HEAD_BYTES))).toBe('incomplete');
    expect(read(unended.subarray(0, MAX_REQUEST_HEAD_BYTES + 1))).toBe('other');
  });

  it('accepts a whole head of exactly MAX_REQUEST_HEAD_BYTES and refuses one byte more', () => {
    const largest = headOfSize(MAX_REQUEST_HEAD_BYTES);
    expect(largest.length).toBe(MAX_REQUEST_HEAD_BYTES);
    expect(read(largest)).toMatchObject({ endpoint: 'chat', bodyStart: MAX_REQUEST_HEAD_BYTES });
    const tooLarge = headOfSize(MAX_REQUEST_HEAD_BYTES + 1);
    expect(tooLarge.length).toBe(MAX_REQUEST_HEAD_BYTES + 1);
    expect(read(tooLarge)).toBe('other');
    expect(read(Buffer.concat([tooLarge, Buffer.from('{}')]))).toBe('other');
  });

  it('returns incomplete for every prefix short of the head end, and the whole reading from there on', () => {
    const headerName = fc.stringMatching(/^x-[a-z0-9-]{1,16}$/);
    const headerValue = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(
        fc.constantFrom('chat' as const, 'text' as const),
        fc.boolean(),
        fc.uniqueArray(fc.tuple(headerName, headerValue), { selector: ([name]) => name, maxLength: 8 }),
        fc.uniqueArray(fc.nat(), { maxLength: 12 }),
        (endpoint, keepAlive, extraHeaders, cutSeeds) => {
          const body = '{"model":"m","prompt":"p"}';
          const headerLines = [
            'host: gateway.test',
            'content-type: application/json',
            `content-length: ${body.length}`,
            ...(keepAlive ? [] : ['connection: close']),
            ...extraHeaders.map(([name, value]) => `${name}: ${value}`),
          ];
          const head = requestHead([endpoint === 'chat' ? CHAT_LINE : 'POST /v1/completions HTTP/1.1', ...headerLines]);
          const whole = Buffer.concat([head, Buffer.from(body)]);
          const expected = {
            endpoint,
            bodyStart: head.length,
            contentLength: body.length,
            headers: new Map(headerLines.map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)])),
            keepAlive,
          };
          expect(read(whole)).toEqual(expected);
          for (const seed of cutSeeds) {
            const cut = seed % (whole.length + 1);
            expect(read(whole.subarray(0, cut))).toEqual(cut < head.length ? 'incomplete' : expected);
          }
        },
      ),
    );
  });
});

describe('readCompletionRequestHead: requests left to Node', () => {
  /** The minimal recognised request with `line` added after its headers. */
  const withHeader = (line: string) => [CHAT_LINE, ...MINIMAL_HEADERS, line];
  /** The minimal recognised request with the header named `name` removed or replaced by `replacement`. */
  const replacing = (name: string, replacement?: string) => [CHAT_LINE, ...MINIMAL_HEADERS.flatMap((line) => (line.startsWith(`${name}:`) ? (replacement === undefined ? [] : [replacement]) : [line]))];

  it('recognises the minimal request these cases change', () => {
    expect(read(requestHead([CHAT_LINE, ...MINIMAL_HEADERS]))).toMatchObject({ endpoint: 'chat' });
  });

  it.each([
    ['GET', 'GET /v1/chat/completions HTTP/1.1'],
    ['a lower-case method', 'post /v1/chat/completions HTTP/1.1'],
    ['/v1/models', 'POST /v1/models HTTP/1.1'],
    ['a trailing slash', 'POST /v1/chat/completions/ HTTP/1.1'],
    ['a query string', 'POST /v1/chat/completions?x=1 HTTP/1.1'],
    ['an upper-case path segment', 'POST /V1/chat/completions HTTP/1.1'],
    ['an absolute-form target', 'POST http://h/v1/chat/completions HTTP/1.1'],
    ['HTTP/1.0', 'POST /v1/chat/completions HTTP/1.0'],
    ['a lower-case version', 'POST /v1/chat/completions http/1.1'],
    ['two spaces after the method', 'POST  /v1/chat/completions HTTP/1.1'],
    ['two spaces before the version', 'POST /v1/chat/completions  HTTP/1.1'],
    ['a space after the version', 'POST /v1/chat/completions HTTP/1.1 '],
    ['a leading empty line', `\r\n${CHAT_LINE}`],
  ])('is other for a request line with %s', (_description, requestLine) => {
    expect(read(requestHead([requestLine, ...MINIMAL_HEADERS]))).toBe('other');
  });

  it.each([
    ['a header line without a colon', withHeader('x-flag')],
    ['an empty header name', withHeader(': value')],
    ['a space before the colon', withHeader('x-title : a')],
    ['a non-token character in a name', withHeader('x/title: a')],
    ['obsolete line folding with a space', [...withHeader('x-title: a'), ' continued']],
    ['obsolete line folding with a tab', [...withHeader('x-title: a'), '\tcontinued']],
    ['a bare LF ending a header line', withHeader('x-title: a\nx-other: b')],
    ['a bare LF ending the request line', [`${CHAT_LINE}\n${MINIMAL_HEADERS[0]}`, ...MINIMAL_HEADERS.slice(1)]],
    ['a NUL in a value', withHeader('x-title: a\x00b')],
    ['a \\x01 in a value', withHeader('x-title: a\x01b')],
    ['a DEL in a value', withHeader('x-title: a\x7fb')],
    ['a lone CR in a value', withHeader('x-title: a\rb')],
    ['a lone CR ending a value', withHeader('x-title: a\r')],
    ['a vertical tab that String#trim would remove', withHeader('x-title: a\x0b')],
    ['a repeated header', [...withHeader('x-title: a'), 'x-title: a']],
    ['a repeated content-length with equal values', withHeader('content-length: 2')],
    ['names differing only in case', withHeader('Host: gateway.test')],
    ['transfer-encoding with content-length', withHeader('transfer-encoding: chunked')],
    ['transfer-encoding without content-length', replacing('content-length', 'transfer-encoding: chunked')],
    ['expect: 100-continue', withHeader('expect: 100-continue')],
    ['upgrade', withHeader('upgrade: websocket')],
    ['no host', replacing('host')],
    ['no content-length', replacing('content-length')],
    ['content-length 0', replacing('content-length', 'content-length: 0')],
    ['an empty content-length', replacing('content-length', 'content-length:')],
    ['content-length +5', replacing('content-length', 'content-length: +5')],
    ['content-length -5', replacing('content-length', 'content-length: -5')],
    ['content-length 5 5', replacing('content-length', 'content-length: 5 5')],
    ['content-length 5,5', replacing('content-length', 'content-length: 5,5')],
    ['content-length 0x10', replacing('content-length', 'content-length: 0x10')],
    ['content-length 1e3', replacing('content-length', 'content-length: 1e3')],
    ['content-length 2.0', replacing('content-length', 'content-length: 2.0')],
    ['content-length above the body limit', replacing('content-length', `content-length: ${BODY_LIMIT + 1}`)],
    ['no content-type', replacing('content-type')],
    ['content-type text/plain', replacing('content-type', 'content-type: text/plain')],
    ['content-type application/jsonx', replacing('content-type', 'content-type: application/jsonx')],
    ['Connection: upgrade', withHeader('Connection: upgrade')],
    ['Connection: keep-alive, te', withHeader('Connection: keep-alive, te')],
    ['Connection: close, upgrade', withHeader('Connection: close, upgrade')],
  ])('is other for %s', (_description, lines) => {
    expect(read(requestHead(lines))).toBe('other');
  });
});
