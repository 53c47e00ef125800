import { fileURLToPath } from "node:url";

import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * The portal is served by Herald under /portal/ from portal/dist. The dev server proxies the API to
 * a running Herald (HERALD_URL, default http://127.0.0.1:8071) so the portal stays same-origin.
 */
export default defineConfig({
  root,
  base: "/portal/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { "/api": process.env.HERALD_URL ?? "http://127.0.0.1:8071" },
  },
});
