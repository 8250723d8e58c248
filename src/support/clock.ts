import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../platforms/connector.js';

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: async (ms, signal) => {
    await delay(ms, undefined, signal ? { signal } : undefined);
  },
};
