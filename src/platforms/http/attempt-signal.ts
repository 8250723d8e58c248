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
  const controller = new AbortController();
  let timedOut = false;
  const onParentAbort = (): void => {
    controller.abort(parent.reason);
    dispose();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`attempt exceeded ${timeoutMs} ms`, 'TimeoutError'));
    dispose();
  }, timeoutMs);
  // A pending attempt must not keep the process alive on its own.
  timer.unref();
  function dispose(): void {
    clearTimeout(timer);
    parent.removeEventListener('abort', onParentAbort);
  }
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    dispose,
  };
}
