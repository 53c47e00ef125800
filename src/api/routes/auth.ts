import { Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";

import { makeAppToken } from "../auth-tokens.ts";
import type { Api, ApiContext } from "../context.ts";
import { requireApp } from "../context.ts";
import { AppParams, Nullable } from "../schemas/common.ts";

const tags = ["Authentication"];
/** App-scoped tokens last as long as Svix's (28 days). */
const APP_TOKEN_TTL_MS = 28 * 24 * 60 * 60 * 1000;

const AppPortalAccessIn = Type.Object({
  featureFlags: Type.Optional(Type.Array(Type.String())),
  expiry: Type.Optional(Nullable(Type.Integer({ minimum: 60, maximum: 28 * 24 * 3600 }))),
});
const AppPortalAccessOut = Type.Object({ url: Type.String(), token: Type.String() });

export async function authRoutes(app: Api, context: ApiContext): Promise<void> {
  const handler = async (request: FastifyRequest) => {
    const { app_id } = request.params as { app_id: string };
    const body = request.body as { expiry?: number | null } | undefined;
    const application = await requireApp(context, request, app_id);
    const ttlMs = body?.expiry ? body.expiry * 1000 : APP_TOKEN_TTL_MS;
    const token = makeAppToken(application.id, context.clock.now() + ttlMs, context.mainSecret);
    return { url: `${context.config.publicUrl}/portal/#token=${encodeURIComponent(token)}&app=${application.id}`, token };
  };

  app.post(
    "/api/v1/auth/app-portal-access/:app_id",
    {
      schema: { tags, operationId: "v1.authentication.app-portal-access", params: AppParams, body: Type.Optional(AppPortalAccessIn), response: { 200: AppPortalAccessOut } },
    },
    handler,
  );

  app.post(
    "/api/v1/auth/dashboard-access/:app_id",
    { schema: { tags, operationId: "v1.authentication.dashboard-access", deprecated: true, params: AppParams, response: { 200: AppPortalAccessOut } } },
    handler,
  );

  app.post(
    "/api/v1/auth/logout",
    { schema: { tags, operationId: "v1.authentication.logout" }, config: { access: "app" } },
    // Tokens are stateless and expire by themselves; Svix's server does not revoke either.
    async (_request, reply) => reply.code(204).send(),
  );
}
