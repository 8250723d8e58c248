/** One server-sent event: its `event` name (default `message`) and its joined `data` lines. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * Reads a `text/event-stream` body into events, following the WHATWG parsing rules the CLI needs:
 * `\n`, `\r\n` and `\r` line ends, comments (`: keep-alive`), multi-line data, one optional space after
 * the colon. Events split across network chunks are reassembled.
 */
export async function* readServerSentEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];

  function* takeLines(final: boolean): Generator<string> {
    for (;;) {
      const match = /\r\n|\r|\n/.exec(buffer);
      // A lone \r at the very end may be the first half of \r\n: wait for more input.
      if (!match || (match[0] === '\r' && match.index === buffer.length - 1 && !final)) return;
      yield buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
    }
  }

  function* dispatch(lines: Iterable<string>): Generator<ServerSentEvent> {
    for (const line of lines) {
      if (line === '') {
        if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
  }

  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    yield* dispatch(takeLines(false));
  }
  buffer += decoder.decode();
  yield* dispatch(takeLines(true));
  // A stream that ends without the final blank line still delivers its last event.
  if (buffer !== '') yield* dispatch([buffer]);
  yield* dispatch(['']);
}
