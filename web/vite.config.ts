import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Resolved from this file, so the build works from any working directory.
const here = decodeURIComponent(new URL('.', import.meta.url).pathname);

// The inbox is served by the hub itself (src/http/web-ui.ts) from dist/web; `npm run dev:web`
// proxies the API to a hub on :3000 so the UI can be edited with hot reload.
export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 600,
  },
  server: {
    port: 5173,
    proxy: { '/api': 'http://127.0.0.1:3000' },
  },
});
