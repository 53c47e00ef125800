import type { Api } from "./context.ts";

/**
 * Headers every API answer carries. Responses hold tokens, secrets and tenants' data, so no cache
 * (browser, proxy or CDN) may keep them; they are JSON, never to be sniffed as HTML, framed or
 * allowed to load anything. The portal's pages set their own policy (portal-files.ts) and keep it.
 */
const API_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
} as const;

export function registerSecurityHeaders(app: Api): void {
  app.addHook("onSend", async (_request, reply, payload) => {
    if (reply.hasHeader("content-security-policy")) return payload;
    for (const [name, value] of Object.entries(API_HEADERS)) reply.header(name, value);
    return payload;
  });
}
