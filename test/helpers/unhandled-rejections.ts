/**
 * Runs `body` and returns the unhandled rejections reported meanwhile. Node reports one once the
 * microtask queue has drained, so this waits a little after `body` before it stops listening.
 */
export async function unhandledRejectionsDuring(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const record = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', record);
  try {
    await body();
    await new Promise((resolve) => setTimeout(resolve, 10));
  } finally {
    process.off('unhandledRejection', record);
  }
  return seen;
}
