import { Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";

import type { Application } from "../../domain/types.ts";
import { StoreConflictError } from "../../store/store.ts";
import {
  type AppPrincipal,
  type AppTokenClaims,
  hashOneTimeKey,
  makeAppToken,
  newOneTimeKey,
  newTokenId,
  parseStoredClaims,
  serializeClaims,
} from "../auth-tokens.ts";
import { CAPABILITIES, type Capability, grantCapabilities } from "../capabilities.ts";
import type { Api, ApiContext } from "../context.ts";
import { findApp, requireApp } from "../context.ts";
import { ERROR_CODES, HttpError, notFound } from "../errors.ts";
import { AppParams, DateTime, Nullable, UID_PATTERN } from "../schemas/common.ts";
import { ApplicationIn, newApplication } from "./applications.ts";

const tags = ["Authentication"];
const HOUR_S = 3600;
/** Svix's bounds and default for a token's life: 1 hour to 7 days, 7 days when not given. */
const EXPIRY_MIN_S = HOUR_S;
const EXPIRY_MAX_S = 7 * 24 * HOUR_S;
/** Tokens minted before this bound lasted up to 28 days: revocations are kept that long. */
const LONGEST_TOKEN_MS = 28 * 24 * HOUR_S * 1000;

const SessionId = Type.String({ minLength: 1, maxLength: 64, pattern: "^[a-zA-Z0-9@_-]+$" });
const CapabilitySchema = Type.Union(CAPABILITIES.map((capability) => Type.Literal(capability)));
const FeatureFlags = Type.Array(Type.String({ maxLength: 256, pattern: UID_PATTERN }), { maxItems: 25, uniqueItems: true });

const AppPortalAccessIn = Type.Object({
  application: Type.Optional(Nullable(ApplicationIn)),
  capabilities: Type.Optional(Nullable(Type.Array(CapabilitySchema, { uniqueItems: true, description: "Absent or empty: every capability. ViewBase is always included." }))),
  readOnly: Type.Optional(Nullable(Type.Boolean({ deprecated: true, description: "Same as capabilities: [\"ViewBase\"]." }))),
  featureFlags: Type.Optional(FeatureFlags),
  expiry: Type.Optional(Nullable(Type.Integer({ minimum: EXPIRY_MIN_S, maximum: EXPIRY_MAX_S, default: EXPIRY_MAX_S, description: "Seconds the token and its link are valid." }))),
  sessionId: Type.Optional(Nullable(SessionId)),
  returnUrl: Type.Optional(
    Nullable(Type.String({ format: "uri", maxLength: 2048, pattern: "^https?://", description: "Herald extension: where the portal's page for a used or expired link points back to." })),
  ),
});
type AppPortalAccessInput = {
  application?: { name: string; uid?: string | null } | null;
  capabilities?: Capability[] | null;
  readOnly?: boolean | null;
  featureFlags?: string[];
  expiry?: number | null;
  sessionId?: string | null;
  returnUrl?: string | null;
};
const AppPortalAccessOut = Type.Object({
  url: Type.String({ description: "The portal, with a single-use key in its fragment (never sent to a server)." }),
  token: Type.String({ description: "A session token with the same claims, for API clients such as svix-react." }),
});
const OneTimeTokenOut = Type.Object({
  token: Type.String(),
  capabilities: Type.Array(Type.String()),
  appId: Type.String({ description: "Herald extension" }),
  featureFlags: Type.Array(Type.String(), { description: "Herald extension" }),
  sessionId: Nullable(Type.String({ description: "Herald extension" })),
  expiresAt: DateTime,
});
const LinkErrorOut = Type.Object({ code: Type.String(), detail: Type.String(), returnUrl: Type.Optional(Type.String()) });
const WhoamiOut = Type.Object({
  envId: Nullable(Type.String()),
  appId: Nullable(Type.String()),
  permissionSource: Type.String(),
  sessionId: Nullable(Type.String()),
  capabilities: Type.Array(Type.String(), { description: "Herald extension" }),
  featureFlags: Type.Array(Type.String(), { description: "Herald extension" }),
  expiresAt: Nullable(Type.String({ format: "date-time", description: "Herald extension" })),
});
const ExpireAllIn = Type.Object({
  expiry: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 259_200, description: "Seconds until the tokens stop working." }))),
  sessionIds: Type.Optional(Type.Array(SessionId, { maxItems: 1000 })),
});

/** The application a link is for: the path's, or (with `application` in the body) one made now. */
async function portalApplication(context: ApiContext, request: FastifyRequest, appIdOrUid: string, input: AppPortalAccessInput["application"]): Promise<Application> {
  const existing = await findApp(context, appIdOrUid);
  if (existing || !input) return requireApp(context, request, appIdOrUid);
  const created = newApplication({ ...input, uid: input.uid ?? appIdOrUid }, context.clock.now());
  try {
    await context.store.createApplication(created);
    return created;
  } catch (error) {
    // Another request created it first: use theirs.
    if (error instanceof StoreConflictError) return requireApp(context, request, appIdOrUid);
    throw error;
  }
}

export async function authRoutes(app: Api, context: ApiContext): Promise<void> {
  const { store, clock, mainSecret } = context;

  const portalAccess = async (request: FastifyRequest) => {
    const { app_id } = request.params as { app_id: string };
    const body = (request.body ?? {}) as AppPortalAccessInput;
    const application = await portalApplication(context, request, app_id, body.application);
    const now = clock.now();
    const expiresAtMs = now + (body.expiry ?? EXPIRY_MAX_S) * 1000;
    const claims = (): AppTokenClaims => ({
      appId: application.id,
      capabilities: grantCapabilities(body.capabilities, body.readOnly),
      featureFlags: body.featureFlags ?? [],
      sessionId: body.sessionId ?? null,
      tokenId: newTokenId(),
      issuedAtMs: now,
      expiresAtMs,
    });
    const oneTimeKey = newOneTimeKey();
    await store.createOneTimeToken({
      keyHash: hashOneTimeKey(oneTimeKey),
      appId: application.id,
      claims: serializeClaims(claims()),
      returnUrl: body.returnUrl ?? null,
      createdAt: now,
      expiresAt: expiresAtMs,
    });
    const key = Buffer.from(JSON.stringify({ appId: application.id, oneTimeToken: oneTimeKey })).toString("base64url");
    return { url: `${context.config.publicUrl}/portal/#key=${key}`, token: makeAppToken(claims(), mainSecret) };
  };

  app.post(
    "/api/v1/auth/app-portal-access/:app_id",
    { schema: { tags, operationId: "v1.authentication.app-portal-access", params: AppParams, body: Type.Optional(AppPortalAccessIn), response: { 200: AppPortalAccessOut } } },
    portalAccess,
  );

  app.post(
    "/api/v1/auth/dashboard-access/:app_id",
    {
      schema: { tags, operationId: "v1.authentication.dashboard-access", deprecated: true, params: AppParams, body: Type.Optional(AppPortalAccessIn), response: { 200: AppPortalAccessOut } },
    },
    portalAccess,
  );

  app.post(
    "/api/v1/auth/one-time-token",
    {
      schema: {
        tags,
        operationId: "v1.authentication.exchange-one-time-token",
        description: "Exchanges a portal link's single-use key for its session token. Needs no Authorization header: the key is the credential.",
        body: Type.Object({ oneTimeToken: Type.String({ minLength: 1, maxLength: 256 }) }),
        response: { 200: OneTimeTokenOut, 401: LinkErrorOut },
      },
      config: { access: "public" },
    },
    async (request, reply) => {
      const redemption = await store.redeemOneTimeToken(hashOneTimeKey(request.body.oneTimeToken), clock.now());
      if (redemption.outcome === "redeemed") {
        const claims = parseStoredClaims(redemption.claims);
        return {
          token: makeAppToken(claims, mainSecret),
          capabilities: claims.capabilities,
          appId: claims.appId,
          featureFlags: claims.featureFlags,
          sessionId: claims.sessionId,
          expiresAt: new Date(claims.expiresAtMs).toISOString(),
        };
      }
      if (redemption.outcome === "unknown") throw new HttpError("authentication_failed", "This link is not valid");
      const code = redemption.outcome === "used" ? "link_used" : "link_expired";
      const detail = redemption.outcome === "used" ? "This link has already been used" : "This link has expired";
      return reply.code(ERROR_CODES[code]).send({ code, detail, ...(redemption.returnUrl ? { returnUrl: redemption.returnUrl } : {}) });
    },
  );

  app.get(
    "/api/v1/auth/whoami",
    { schema: { tags, operationId: "v1.authentication.whoami", response: { 200: WhoamiOut } }, config: { access: "app" } },
    async (request) => {
      const principal = request.principal;
      if (principal?.kind !== "app") {
        return { envId: null, appId: null, permissionSource: "admin", sessionId: null, capabilities: [...CAPABILITIES], featureFlags: [], expiresAt: null };
      }
      return {
        envId: null,
        appId: principal.appId,
        permissionSource: "appPortal",
        sessionId: principal.sessionId,
        capabilities: principal.capabilities,
        featureFlags: principal.featureFlags,
        expiresAt: new Date(principal.expiresAtMs).toISOString(),
      };
    },
  );

  app.post(
    "/api/v1/auth/logout",
    {
      schema: { tags, operationId: "v1.authentication.logout", description: "Revokes the calling app token." },
      config: { access: "app", capability: "ViewBase" },
    },
    async (request, reply) => {
      const principal = request.principal as AppPrincipal | { kind: "admin" };
      if (principal.kind !== "app") throw new HttpError("forbidden", "Only an app token can log out");
      const now = clock.now();
      await context.tokenRevocations.revoke(
        [{ appId: principal.appId, sessionId: null, tokenId: principal.tokenId, issuedBefore: principal.issuedAtMs, effectiveAt: now, pruneAfter: principal.expiresAtMs }],
        now,
      );
      return reply.code(204).send();
    },
  );

  app.post(
    "/api/v1/auth/app/:app_id/expire-all",
    { schema: { tags, operationId: "v1.authentication.expire-all", params: AppParams, body: ExpireAllIn } },
    async (request, reply) => {
      const application = await findApp(context, request.params.app_id);
      if (!application) throw notFound("Application");
      const now = clock.now();
      const effectiveAt = now + (request.body.expiry ?? 0) * 1000;
      const sessions: (string | null)[] = request.body.sessionIds?.length ? request.body.sessionIds : [null];
      await context.tokenRevocations.revoke(
        sessions.map((sessionId) => ({ appId: application.id, sessionId, tokenId: null, issuedBefore: now, effectiveAt, pruneAfter: now + LONGEST_TOKEN_MS })),
        now,
      );
      return reply.code(204).send();
    },
  );
}
