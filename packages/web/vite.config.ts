// Vite builds the portal into dist/, which the node serves at `/` (node/src/api/routes/web.ts).
// In dev mode (`npm run dev -w @medledger/web`) Vite serves the page and forwards the API to a
// node started with `medledger start --dev` (MEDLEDGER_NODE, default http://127.0.0.1:4625).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const node = process.env['MEDLEDGER_NODE'] ?? 'http://127.0.0.1:4625';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 4096 },
  server: { proxy: { '/v1': node, '/fhir': node } },
});
