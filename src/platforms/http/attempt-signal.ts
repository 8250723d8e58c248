/**
 * One attempt's abort signal: aborts when the caller's signal does or when the attempt's time is up.
 *
 * Same meaning as `AbortSignal.any([parent, AbortSignal.timeout(ms)])`, but disposable: the listener on
 * the parent and the timer are removed as soon as the attempt is over. A process-wide or per-connection
 * signal lives long, and `AbortSignal.any` keeps its dependants registered on it (nodejs/node#55351);
 * under gateway load that is a leak.
 */
export interface AttemptSignal {
  signal: AbortSignal;
  /** True once the time limit (not the parent) aborted the attempt. */
  readonly timedOut: boolean;
  /** Stops the timer and detaches from the parent. Idempotent. */
  dispose(): void;
}

export function createAttemptSignal(parent: AbortSignal, timeoutMs: number): AttemptSignal {
  return new DisposableAttemptSignal(parent, timeoutMs);
}

/**
 * A class, not an object literal with `get timedOut()`: V8 allocates a literal's getter in old space,
 * where it keeps the getter's closure, and through it the controller and whatever listens on its
 * signal, alive across young-generation collections until the next full one (gateway/client-presence.ts).
 */
class DisposableAttemptSignal implements AttemptSignal {
  readonly signal: AbortSignal;
  timedOut = false;
  readonly #parent: AbortSignal;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #onParentAbort = (): void => {
    this.#controller.abort(this.#parent.reason);
    this.dispose();
  };

  constructor(parent: AbortSignal, timeoutMs: number) {
    this.#parent = parent;
    this.signal = this.#controller.signal;
    this.#timer = setTimeout(() => {
      this.timedOut = true;
      this.#controller.abort(new DOMException(`attempt exceeded ${timeoutMs} ms`, 'TimeoutError'));
      this.dispose();
    }, timeoutMs);
    // A pending attempt must not keep the process alive on its own.
    this.#timer.unref();
    if (parent.aborted) this.#onParentAbort();
    else parent.addEventListener('abort', this.#onParentAbort, { once: true });
  }

  /** A bound function: callers hand it on (`keepAlive` returns it) rather than call it. */
  readonly dispose = (): void => {
    clearTimeout(this.#timer);
    this.#parent.removeEventListener('abort', this.#onParentAbort);
  };
}
