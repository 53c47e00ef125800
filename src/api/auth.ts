import { verifyToken } from "./auth-tokens.ts";
import type { Api, ApiContext } from "./context.ts";
import { HttpError } from "./errors.ts";

/**
 * Authenticates every request by its bearer token and enforces each route's `access` level.
 * App-scoped tokens are further limited to their own application by `requireApp`.
 */
export function registerAuth(app: Api, context: ApiContext): void {
  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (request) => {
    const access = request.routeOptions.config.access ?? "admin";
    if (access === "public" || !request.routeOptions.url) return;
    const header = request.headers.authorization ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) throw new HttpError("authentication_failed", "Missing or malformed Authorization: Bearer header");
    const principal = verifyToken(match[1].trim(), {
      adminToken: context.adminToken,
      mainSecret: context.mainSecret,
      nowMs: context.clock.now(),
    });
    if (!principal) throw new HttpError("authentication_failed", "Invalid or expired token");
    if (principal.kind === "app" && access === "admin") {
      throw new HttpError("forbidden", "This route needs the admin token");
    }
    request.principal = principal;
  });
}
