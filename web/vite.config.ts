import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The API and gateway run on modelport's own port; the dev server forwards to it. */
const backend = process.env['MODELPORT_DEV_BACKEND'] ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  base: '/',
  server: {
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/v1': { target: backend, changeOrigin: false },
      '/openapi.json': { target: backend },
      '/docs': { target: backend },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            // Charts are only needed by the metrics view: one lazily loaded chunk, never in the first load.
            { name: 'charts', test: /node_modules[\\/](recharts|@mantine[\\/]charts|d3-|victory-vendor|internmap|decimal\.js-light|eventemitter3|es-toolkit|immer|reselect|@reduxjs|redux|react-redux|use-sync-external-store|tiny-invariant)/ },
          ],
        },
      },
    },
  },
});
