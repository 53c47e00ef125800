import { verifyToken } from "./auth-tokens.ts";
import { CAPABILITY_OF, hasCapability } from "./capabilities.ts";
import type { Api, ApiContext } from "./context.ts";
import { HttpError } from "./errors.ts";

/**
 * Authenticates every request by its bearer token and enforces each route's `access` level and,
 * for app-scoped tokens, the capability its operation needs (capabilities.ts). App-scoped tokens
 * are further limited to their own application by `requireApp`.
 */
export function registerAuth(app: Api, context: ApiContext): void {
  // A write an app token may call must say what capability it needs, so none is forgotten.
  app.addHook("onRoute", (route) => {
    const operationId = (route.schema as { operationId?: string } | undefined)?.operationId;
    const method = [route.method].flat()[0];
    if (route.config?.access !== "app" || method === "GET" || method === "HEAD") return;
    if (!operationId || (!(operationId in CAPABILITY_OF) && route.config.capability !== "ViewBase")) {
      throw new Error(`${method} ${route.url} is open to app tokens but names no capability (src/api/capabilities.ts)`);
    }
  });

  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (request) => {
    const access = request.routeOptions.config.access ?? "admin";
    // CORS preflights carry no credentials; @fastify/cors answers them.
    if (access === "public" || !request.routeOptions.url || request.method === "OPTIONS") return;
    const header = request.headers.authorization ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) throw new HttpError("authentication_failed", "Missing or malformed Authorization: Bearer header");
    const now = context.clock.now();
    const principal = verifyToken(match[1].trim(), { adminToken: context.adminToken, mainSecret: context.mainSecret, nowMs: now });
    if (!principal || (principal.kind === "app" && (await context.tokenRevocations.isRevoked(principal, now)))) {
      throw new HttpError("authentication_failed", "Invalid or expired token");
    }
    if (principal.kind === "app") {
      if (access === "admin") throw new HttpError("forbidden", "This route needs the admin token");
      const operationId = (request.routeOptions.schema as { operationId?: string } | undefined)?.operationId ?? "";
      const needed = CAPABILITY_OF[operationId];
      if (needed && !hasCapability(principal.capabilities, needed)) {
        throw new HttpError("forbidden", `This token lacks the ${needed} capability`);
      }
    }
    request.principal = principal;
  });
}
