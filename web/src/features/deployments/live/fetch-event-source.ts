import { apiStream } from '../../../api/client';
import { readSse } from '../../../api/sse';
import type { EventSourceLike } from './live-updates-provider';

/**
 * An EventSource over fetch, so the live stream carries the API token like every other request
 * (EventSource cannot send headers). Any failure, or the server closing the stream, calls onerror once.
 */
export function openFetchEventSource(url: string): EventSourceLike {
  const controller = new AbortController();
  const listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>();
  const source: EventSourceLike = {
    onerror: null,
    addEventListener(type, listener) {
      listeners.set(type, [...(listeners.get(type) ?? []), listener]);
    },
    close() {
      controller.abort();
    },
  };
  const fail = () => {
    if (!controller.signal.aborted) source.onerror?.(new Event('error'));
  };
  void (async () => {
    try {
      const response = await apiStream(url, { signal: controller.signal });
      for await (const event of readSse(response, controller.signal)) {
        for (const listener of listeners.get(event.event) ?? []) listener(new MessageEvent(event.event, { data: event.data }));
      }
      fail();
    } catch {
      fail();
    }
  })();
  return source;
}
