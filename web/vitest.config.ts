import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

/** Component and route tests of the web UI: jsdom, no server. Run from the repository root. */
export default defineConfig({
  plugins: [react()],
  root: import.meta.dirname,
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    css: false,
    pool: 'threads',
    maxWorkers: 2,
    testTimeout: 15_000,
  },
});
