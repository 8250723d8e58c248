/**
 * One queue of writes per SQLite file, shared by every store this process opens on that file.
 *
 * better-sqlite3 is synchronous: when a second connection in the same process hits a write lock
 * held by a first connection's open transaction, it blocks the event loop in busy_timeout, and the
 * first connection (which needs the event loop to commit) never finishes. Queuing writes per file
 * avoids that. Other processes are handled by SQLite's own locking and busy_timeout.
 */
const tails = new Map<string, Promise<void>>();

export function runQueuedWrite<T>(file: string, write: () => Promise<T>): Promise<T> {
  const previous = tails.get(file) ?? Promise.resolve();
  const result = previous.then(write);
  const tail = result.then(
    () => undefined,
    () => undefined,
  );
  tails.set(file, tail);
  // Forget the file once its queue drains, so the map does not grow with every database ever opened.
  void tail.then(() => {
    if (tails.get(file) === tail) tails.delete(file);
  });
  return result;
}
