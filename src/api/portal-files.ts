import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

import fastifyStatic from "@fastify/static";
import type { FastifyReply, FastifyRequest } from "fastify";

import type { Api, ApiContext } from "./context.ts";

/** Where `npm run build:portal` (run by `npm install` and `npm start`) leaves the built portal. */
const PORTAL_DIST = fileURLToPath(new URL("../../portal/dist/", import.meta.url));

/**
 * The portal's pages may run only their own scripts (no inline script, no eval, nothing from
 * another origin) and talk only to this origin; styles may be inline (React and CodeMirror set
 * them); images may come from https (the operator's logo). Who may frame it is configuration.
 */
function contentSecurityPolicy(frameAncestors: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https:",
    "font-src 'self' data:",
    "connect-src 'self'",
    `frame-ancestors ${frameAncestors.join(" ")}`,
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
  ].join("; ");
}

/**
 * Serves the consumer portal at /portal/: the built files, and index.html for every other path
 * under it (the portal routes in the browser). `/` leads there.
 */
export async function portalFiles(app: Api, context: ApiContext): Promise<void> {
  const csp = contentSecurityPolicy(context.config.portal.frameAncestors);
  const config = { access: "public" as const };
  const schema = { hide: true };
  const secureHeaders = (reply: FastifyReply) =>
    reply.header("content-security-policy", csp).header("x-content-type-options", "nosniff").header("referrer-policy", "no-referrer");

  app.get("/", { schema, config }, async (_request, reply) => reply.redirect("/portal/"));

  if (!existsSync(PORTAL_DIST + "index.html")) {
    const notBuilt = async (_request: unknown, reply: FastifyReply) =>
      reply.code(503).type("text/plain; charset=utf-8").send("The portal is not built: run `npm run build:portal` (npm install and npm start do it).");
    app.get("/portal", { schema, config }, notBuilt);
    app.get("/portal/*", { schema, config }, notBuilt);
    return;
  }

  // The static plugin's routes take no route config of ours: every route here is public.
  app.addHook("onRoute", (route) => {
    route.config = { ...route.config, access: "public" };
  });
  await app.register(fastifyStatic, {
    root: PORTAL_DIST,
    prefix: "/portal/",
    // Routes for the files present at start, so the fallback below answers every other path.
    wildcard: false,
    index: false,
    decorateReply: true,
    cacheControl: false,
    // Vite names built assets by their content hash, so they never change.
    setHeaders: (reply, filePath) => {
      secureHeaders(reply).header("cache-control", filePath.includes("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
    },
  });
  // A path naming a file that is not there (an asset of an older build) is a 404, not the page.
  const index = async (request: FastifyRequest, reply: FastifyReply) => {
    if (/\.[a-z0-9]+$/i.test(request.url.split("?")[0])) return reply.code(404).type("text/plain; charset=utf-8").send("Not found");
    return secureHeaders(reply).header("cache-control", "no-cache").sendFile("index.html");
  };
  app.get("/portal", { schema, config }, index);
  app.get("/portal/*", { schema, config }, index);
}
