import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API process serves web/dist; in `npm run dev:web` Vite proxies API calls to it.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: {
      '/api': 'http://localhost:3000',
      '/sandbox': 'http://localhost:3000',
      '/dev': 'http://localhost:3000',
    },
  },
});
