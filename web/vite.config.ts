import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API process serves web/dist; in `npm run dev:web` Vite proxies API calls to it.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  // Browser test files each build while another file's app may be serving web/dist: under Vitest the
  // old (content-hashed) assets stay, so a page loaded a moment ago still finds its files.
  build: { outDir: 'dist', emptyOutDir: !process.env.VITEST },
  server: {
    proxy: {
      '/api': 'http://localhost:3000',
      '/sandbox': 'http://localhost:3000',
      '/dev': 'http://localhost:3000',
    },
  },
});
