import rateLimit from "@fastify/rate-limit";
import type { FastifyRequest } from "fastify";

import type { Api, ApiContext } from "./context.ts";
import { HttpError } from "./errors.ts";

/**
 * Requests per second per caller, so one tenant's client cannot starve the API for the others:
 * an application's app tokens share one budget (HERALD_API_RATE_LIMIT), the admin token has its
 * own (HERALD_API_ADMIN_RATE_LIMIT, off by default: it is the SaaS's own backend). 0 turns a limit
 * off. Counted per process over one-second windows, after authentication; beyond it the answer is
 * 429 with Retry-After.
 */
export async function registerRateLimits(app: Api, context: ApiContext): Promise<void> {
  const { apiRateLimit, apiAdminRateLimit } = context.config;
  const limitOf = (request: FastifyRequest) => (request.principal?.kind === "app" ? apiRateLimit : apiAdminRateLimit);
  await app.register(rateLimit, {
    global: true,
    hook: "preHandler",
    timeWindow: 1000,
    max: (request) => limitOf(request),
    allowList: (request) => request.principal === null || limitOf(request) === 0,
    keyGenerator: (request) => (request.principal?.kind === "app" ? `app:${request.principal.appId}` : "admin"),
    addHeadersOnExceeding: { "x-ratelimit-limit": false, "x-ratelimit-remaining": false, "x-ratelimit-reset": false },
    errorResponseBuilder: (_request, limit) => new HttpError("rate_limited", `Rate limit of ${limit.max} requests per second exceeded; retry in ${limit.after}`),
  });
}
