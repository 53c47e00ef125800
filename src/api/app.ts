import cors from "@fastify/cors";
import swagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyBaseLogger, type FastifyError } from "fastify";

import { findNulCharacter, jsonDepthOver, MAX_JSON_DEPTH } from "../domain/json-limits.ts";
import { StoreConflictError } from "../store/store.ts";
import { isStoreUnavailable } from "../store/store-errors.ts";
import { cacheApplicationReads } from "./application-cache.ts";
import { registerAuth } from "./auth.ts";
import { closeConnectionsOnClose } from "./close-connections.ts";
import type { Api, ApiContext } from "./context.ts";
import { FieldError, HttpError } from "./errors.ts";
import { registerIdempotency } from "./idempotency.ts";
import { portalFiles } from "./portal-files.ts";
import { registerRateLimits } from "./rate-limits.ts";
import { applicationRoutes } from "./routes/applications.ts";
import { attemptRoutes } from "./routes/attempts.ts";
import { authRoutes } from "./routes/auth.ts";
import { backgroundTaskRoutes } from "./routes/background-tasks.ts";
import { endpointExtraRoutes } from "./routes/endpoint-extras.ts";
import { endpointMtlsRoutes } from "./routes/endpoint-mtls.ts";
import { endpointQueueRoutes } from "./routes/endpoint-queue.ts";
import { endpointReplayRoutes } from "./routes/endpoint-replay.ts";
import { endpointTransformationRoutes } from "./routes/endpoint-transformation.ts";
import { endpointRoutes } from "./routes/endpoints.ts";
import { environmentRoutes } from "./routes/environment.ts";
import { eventTypeRetryRoutes } from "./routes/event-type-retry.ts";
import { eventTypeRoutes } from "./routes/event-types.ts";
import { healthRoutes } from "./routes/health.ts";
import { messageRoutes } from "./routes/messages.ts";
import { operationalWebhookRoutes } from "./routes/operational-webhooks.ts";
import { profileRoutes } from "./routes/profiles.ts";
import { statsRoutes } from "./routes/stats.ts";
import { registerSecurityHeaders } from "./security-headers.ts";
import { makeTokenRevocations } from "./token-revocations.ts";
import { toValidationItems } from "./validation.ts";
import { compileValidator } from "./validators.ts";

/** Largest request body accepted; larger ones get 413. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

declare module "fastify" {
  interface FastifyRequest {
    /** The request body as received, kept so a message payload is stored byte for byte. */
    rawBody?: string;
  }
}

/** `https://*.example.com` allows every subdomain's origin; other origins match exactly. */
function originMatcher(origin: string): string | RegExp {
  if (!origin.includes("*")) return origin;
  const [scheme, host] = origin.split("://*.");
  return new RegExp(`^${scheme}://[a-z0-9-]+(\\.[a-z0-9-]+)*\\.${host.replace(/[.:]/g, "\\$&")}$`, "i");
}

/**
 * Builds the HTTP API (not listening: `listen` is the caller's business, so tests can use
 * `inject` or a real socket). Every route is a plugin with JSON schemas; the OpenAPI document at
 * `/api/v1/openapi.json` is generated from those same schemas.
 */
export async function buildApi(serverContext: Omit<ApiContext, "tokenRevocations">, options: { logger?: FastifyBaseLogger } = {}): Promise<Api> {
  const context: ApiContext = {
    ...serverContext,
    store: cacheApplicationReads(serverContext.store),
    tokenRevocations: makeTokenRevocations(serverContext.store),
  };
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: BODY_LIMIT_BYTES,
    // A client that promises more body than it sends would otherwise hold its connection for
    // Node's default of 5 minutes. Node reads the timeout only when the server is created (setting
    // it later, as Fastify's own option does, changes nothing on Node 20), and looks for late
    // requests every connectionsCheckingInterval (30 s by default): every second here.
    requestTimeout: serverContext.config.apiRequestTimeoutMs,
    http: { requestTimeout: serverContext.config.apiRequestTimeoutMs, connectionsCheckingInterval: 1000 },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 300 },
    requestIdHeader: "svix-req-id",
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(compileValidator);
  closeConnectionsOnClose(app);
  registerSecurityHeaders(app);

  // Empty bodies are allowed (clients send `content-type: application/json` on bodiless POSTs).
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === "") return done(null, undefined);
    if (jsonDepthOver(text, MAX_JSON_DEPTH)) {
      return done(new FieldError(["body"], `JSON may nest at most ${MAX_JSON_DEPTH} levels`, "value_error.jsondepth"), undefined);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return done(new HttpError("invalid_json", `Request body is not valid JSON: ${(error as Error).message}`), undefined);
    }
    // Only where the text may hold one: the walk is skipped for nearly every body.
    const nulAt = text.includes("\\u0000") ? findNulCharacter(parsed) : null;
    if (nulAt) return done(new FieldError(["body", ...nulAt], "must not contain the NUL character (\\u0000)"), undefined);
    request.rawBody = text;
    done(null, parsed);
  });

  // `event_types[]=a&event_types[]=b` is the SDK's array spelling in some languages. A write
  // without a body is validated as `{}`, so a missing field is named rather than the whole body.
  app.addHook("preValidation", async (request) => {
    if (request.body === undefined && request.method !== "GET" && request.method !== "DELETE" && request.method !== "HEAD") {
      request.body = {};
    }
    for (const [where, values] of [["path", request.params], ["query", request.query]] as const) {
      const nulAt = findNulCharacter(values);
      if (nulAt) throw new FieldError([where, ...nulAt], "must not contain the NUL character");
    }
    const query = request.query as Record<string, unknown> | undefined;
    if (!query) return;
    for (const key of Object.keys(query)) {
      if (key.endsWith("[]")) {
        query[key.slice(0, -2)] = query[key];
        delete query[key];
      }
    }
  });

  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if ("validation" in error && error.validation) {
      return reply.code(422).send({ detail: toValidationItems(error.validation, error.validationContext ?? "body") });
    }
    if (error instanceof FieldError) {
      return reply.code(422).send({ detail: [{ loc: error.loc, msg: error.message, type: error.type }] });
    }
    if (error instanceof HttpError) {
      return reply.code(error.statusCode).send({ code: error.code, detail: error.message });
    }
    if (error instanceof StoreConflictError) {
      return reply.code(409).send({ code: "conflict", detail: error.message });
    }
    const code = (error as FastifyError).code;
    if (code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return reply.code(413).send({ code: "payload_too_large", detail: `Request body exceeds ${BODY_LIMIT_BYTES} bytes` });
    }
    if (isStoreUnavailable(error)) {
      request.log.warn({ err: error }, "store unavailable");
      return reply.code(503).send({ code: "unavailable", detail: "Storage is unavailable, try again" });
    }
    const statusCode = (error as FastifyError).statusCode;
    if (statusCode && statusCode >= 400 && statusCode < 500) {
      return reply.code(statusCode).send({ code: "bad_request", detail: error.message });
    }
    request.log.error({ err: error }, "unhandled error");
    return reply.code(500).send({ code: "server_error", detail: "Internal server error" });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ code: "not_found", detail: `No route ${request.method} ${request.url.split("?")[0]}` });
  });

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "Herald API", version: "1.1.1", description: "Svix-compatible webhook API served by Herald" },
      components: { securitySchemes: { HTTPBearer: { type: "http", scheme: "bearer" } } },
      security: [{ HTTPBearer: [] }],
    },
  });

  // Browsers may call the API from the origins configured (bearer tokens only: no cookies, so no CSRF).
  const origins = context.config.corsOrigins;
  await app.register(cors, {
    origin: origins.includes("*") ? "*" : origins.map(originMatcher),
    methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    maxAge: 600,
    exposedHeaders: ["svix-req-id"],
  });
  registerAuth(app, context);
  await registerRateLimits(app, context);
  registerIdempotency(app, context);

  for (const routes of [
    healthRoutes,
    authRoutes,
    applicationRoutes,
    eventTypeRoutes,
    eventTypeRetryRoutes,
    endpointRoutes,
    endpointExtraRoutes,
    endpointQueueRoutes,
    endpointMtlsRoutes,
    endpointTransformationRoutes,
    endpointReplayRoutes,
    profileRoutes,
    messageRoutes,
    attemptRoutes,
    statsRoutes,
    backgroundTaskRoutes,
    operationalWebhookRoutes,
    environmentRoutes,
    portalFiles,
  ]) {
    await app.register(async (scope) => routes(scope as unknown as Api, context));
  }

  app.get("/api/v1/openapi.json", { schema: { hide: true }, config: { access: "public" } }, async () => app.swagger());
  return app as unknown as Api;
}
