/** Reads a server-sent event stream from a fetch response, event by event, as it arrives. */

export interface SseEvent {
  event: string;
  data: string;
}

export interface SseReading {
  status: number;
  /** Events so far. */
  events: SseEvent[];
  /** Resolves when at least `count` events matching `name` (any when absent) arrived. */
  waitFor(count: number, name?: string): Promise<void>;
  /** Resolves when the stream ended: `complete` when the server closed it cleanly, `cut` otherwise. */
  finished: Promise<{ outcome: 'complete' | 'cut'; error?: unknown }>;
}

export async function readSse(url: string, init: RequestInit = {}): Promise<SseReading> {
  const response = await fetch(url, init);
  const events: SseEvent[] = [];
  const waiters: { count: number; name: string | undefined; resolve: () => void }[] = [];
  const settleWaiters = () => {
    for (const waiter of [...waiters]) {
      if (events.filter((event) => waiter.name === undefined || event.event === waiter.name).length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const finished = (async (): Promise<{ outcome: 'complete' | 'cut'; error?: unknown }> => {
    if (!response.body) return { outcome: 'complete' };
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (data.length > 0) events.push({ event, data: data.join('\n') });
        }
        settleWaiters();
      }
      return { outcome: 'complete' };
    } catch (error) {
      return { outcome: 'cut', error };
    } finally {
      // Waiters that can no longer be satisfied are released; callers check `events` themselves.
      for (const waiter of waiters.splice(0)) waiter.resolve();
    }
  })();
  return {
    status: response.status,
    events,
    waitFor: (count, name) =>
      new Promise<void>((resolve) => {
        waiters.push({ count, name, resolve });
        settleWaiters();
      }),
    finished,
  };
}
