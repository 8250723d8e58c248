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
    // No manual chunking: the charts (recharts, @mantine/charts) are only reached through import() from
    // the metrics view, so the bundler keeps them out of the first load by itself. bundle-size.mjs checks it.
  },
});
