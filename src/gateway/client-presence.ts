import type { ServerResponse } from 'node:http';

/**
 * Whether the client is still there, and a hook for when it leaves. A plain object rather than an
 * AbortController per request: on the hot path an AbortSignal's event-target machinery costs more than
 * everything else the gateway does to a request.
 */
export interface ClientPresence {
  readonly gone: boolean;
  /** Calls `listener` once when the client goes away (at once if it has); returns the unsubscribe. */
  onGone(listener: () => void): () => void;
  /** An AbortSignal that aborts when the client goes, for APIs that need one (created on first use). */
  signal(): AbortSignal;
}

/** Watches a response: the client is gone when it closes before the response finished. */
export function watchClient(response: ServerResponse): ClientPresence {
  let gone = false;
  let listeners: (() => void)[] = [];
  let controller: AbortController | null = null;
  // 'close' comes once per response: after it finished, or when the connection went away first.
  response.on('close', () => {
    if (response.writableFinished) return;
    gone = true;
    const current = listeners;
    listeners = [];
    for (const listener of current) listener();
    controller?.abort();
  });
  return {
    get gone() {
      return gone;
    },
    onGone(listener) {
      if (gone) {
        listener();
        return () => undefined;
      }
      listeners.push(listener);
      return () => {
        listeners = listeners.filter((candidate) => candidate !== listener);
      };
    },
    signal() {
      if (controller === null) {
        controller = new AbortController();
        if (gone) controller.abort();
      }
      return controller.signal;
    },
  };
}
