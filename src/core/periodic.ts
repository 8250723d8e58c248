/**
 * A task run every `intervalMs`, timed from the end of the previous run so a slow store never stacks
 * runs, on an unref'd timer so it never holds the process open. A run that fails goes to `onError` and
 * the next run still comes. That is why this exists: a failure left to a timer callback is an unhandled
 * rejection, and Node 20 ends the process on one.
 */
export interface Periodic {
  /** The first run comes `intervalMs` from now. Does nothing while already started. */
  start(): void;
  /** No further runs; resolves once a run under way has ended. */
  stop(): Promise<void>;
}

/** `onError` should not throw (a logger's warn): its failure would be the unhandled rejection this avoids. */
export function periodic(intervalMs: number, task: () => Promise<unknown>, onError: (error: unknown) => void): Periodic {
  let active = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  function arm(): void {
    timer = setTimeout(() => {
      timer = null;
      running = Promise.resolve()
        .then(task)
        .then(ignore, onError)
        .finally(() => {
          running = null;
          if (active) arm();
        });
    }, intervalMs);
    timer.unref();
  }

  return {
    start() {
      if (active) return;
      active = true;
      // A run still under way from before a stop() arms the next one itself when it ends.
      if (running === null) arm();
    },
    stop() {
      active = false;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      return running ?? Promise.resolve();
    },
  };
}

function ignore(): void {}
