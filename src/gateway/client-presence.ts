import type { ClientResponse } from './client-response.js';

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

/**
 * A class, not an object literal with `get gone()`: V8 puts such a literal in dictionary mode and
 * allocates its getter's AccessorPair in old space, where the dead pair keeps the getter's closure (and
 * with it the response and the whole finished request) alive across young-generation collections until
 * the next full one. That promoted 2.5 KB per request and doubled scavenge pauses (gateway README).
 */
class Presence implements ClientPresence {
  gone = false;
  private listeners: (() => void)[] = [];
  private controller: AbortController | null = null;

  leave(): void {
    this.gone = true;
    const current = this.listeners;
    this.listeners = [];
    for (const listener of current) listener();
    this.controller?.abort();
  }

  onGone(listener: () => void): () => void {
    if (this.gone) {
      listener();
      return () => undefined;
    }
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((candidate) => candidate !== listener);
    };
  }

  signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.gone) this.controller.abort();
    }
    return this.controller.signal;
  }
}

/** Watches a response: the client is gone when it closes before the response finished. */
export function watchClient(response: ClientResponse): ClientPresence {
  const presence = new Presence();
  // 'close' comes once per response: after it finished, or when the connection went away first.
  response.on('close', () => {
    if (!response.writableFinished) presence.leave();
  });
  return presence;
}
