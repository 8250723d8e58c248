import { describe, expect, it } from 'vitest';
import { heapPayload, oldSpaceGrowthWhile } from '../../../test/helpers/old-space.js';
import { createAttemptSignal } from './attempt-signal.js';

describe('createAttemptSignal', () => {
  it('aborts with the parent reason when the parent aborts', () => {
    const parent = new AbortController();
    const attempt = createAttemptSignal(parent.signal, 10_000);
    parent.abort(new Error('caller gave up'));
    expect(attempt.signal.aborted).toBe(true);
    expect((attempt.signal.reason as Error).message).toBe('caller gave up');
    expect(attempt.timedOut).toBe(false);
  });

  it('aborts when time is up and says so', async () => {
    const attempt = createAttemptSignal(new AbortController().signal, 20);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(attempt.signal.aborted).toBe(true);
    expect(attempt.timedOut).toBe(true);
  });

  it('starts aborted under an aborted parent', () => {
    const parent = new AbortController();
    parent.abort();
    expect(createAttemptSignal(parent.signal, 10_000).signal.aborted).toBe(true);
  });

  it('after dispose, neither the parent nor the timer reach it', async () => {
    const parent = new AbortController();
    const attempt = createAttemptSignal(parent.signal, 20);
    attempt.dispose();
    parent.abort();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(attempt.signal.aborted).toBe(false);
  });

  it('leaves no listener on a long-lived parent after many disposed attempts', () => {
    const parent = new AbortController();
    let added = 0;
    let removed = 0;
    const add = parent.signal.addEventListener.bind(parent.signal);
    const remove = parent.signal.removeEventListener.bind(parent.signal);
    parent.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      added += 1;
      add(...args);
    }) as typeof add;
    parent.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      removed += 1;
      remove(...args);
    }) as typeof remove;
    for (let index = 0; index < 1_000; index += 1) createAttemptSignal(parent.signal, 10_000).dispose();
    expect(added).toBe(1_000);
    expect(removed).toBe(1_000);
  });

  it('keeps nothing alive longer than the AbortController it wraps does', () => {
    // A request listens on the signal (as fetch does) and holds about 2 KB: 40 MB over 20,000 attempts.
    // Node's own AbortController already lets part of that reach old space, so that is the yardstick.
    const listen = (signal: AbortSignal, index: number) => {
      const request = { body: heapPayload(index) };
      signal.addEventListener('abort', () => request.body.fill(0));
    };
    const bare = oldSpaceGrowthWhile(20_000, (index) => listen(new AbortController().signal, index));
    const parent = new AbortController();
    const wrapped = oldSpaceGrowthWhile(20_000, (index) => {
      const attempt = createAttemptSignal(parent.signal, 10_000);
      listen(attempt.signal, index);
      if (attempt.timedOut) throw new Error('not yet');
      attempt.dispose();
    });
    expect(wrapped).toBeLessThan(bare * 1.5 + 4 * 1024 * 1024);
  });
});
