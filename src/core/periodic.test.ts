import { afterEach, describe, expect, it } from 'vitest';
import { unhandledRejectionsDuring } from '../../test/helpers/unhandled-rejections.js';
import { periodic, type Periodic } from './periodic.js';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('periodic', () => {
  const started: Periodic[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((task) => task.stop()));
  });
  const start = (...args: Parameters<typeof periodic>) => {
    const task = periodic(...args);
    started.push(task);
    task.start();
    return task;
  };

  it('keeps running after a failed run, reports the failure, and leaves no unhandled rejection', async () => {
    let runs = 0;
    const errors: unknown[] = [];
    const unhandled = await unhandledRejectionsDuring(async () => {
      start(
        5,
        async () => {
          runs++;
          if (runs <= 2) throw new Error(`run ${runs} failed`);
        },
        (error) => errors.push(String(error)),
      );
      await expect.poll(() => runs, { interval: 5 }).toBeGreaterThanOrEqual(4);
    });
    expect(errors).toEqual(['Error: run 1 failed', 'Error: run 2 failed']);
    expect(unhandled).toEqual([]);
  });

  it('never overlaps runs: the next is timed from the end of the previous', async () => {
    let concurrent = 0;
    let most = 0;
    let runs = 0;
    start(
      1,
      async () => {
        runs++;
        most = Math.max(most, ++concurrent);
        await tick(15);
        concurrent--;
      },
      () => undefined,
    );
    await expect.poll(() => runs, { interval: 5 }).toBeGreaterThanOrEqual(3);
    expect(most).toBe(1);
  });

  it('stop() waits for the run under way, and no run comes after it', async () => {
    let release = () => {};
    let runs = 0;
    let finished = false;
    const task = start(
      1,
      async () => {
        runs++;
        await new Promise<void>((resolve) => (release = resolve));
        finished = true;
      },
      () => undefined,
    );
    await expect.poll(() => runs, { interval: 2 }).toBe(1);
    let stopped = false;
    const stopping = task.stop().then(() => (stopped = true));
    await tick(10);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(true);
    await tick(20);
    expect(runs).toBe(1);
  });
});
