import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyRequest, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from "fastify";
import type { FastifyBaseLogger } from "fastify";

import type { ResolvedConfig } from "../config/config.ts";
import type { Clock } from "../domain/clock.ts";
import type { Application } from "../domain/types.ts";
import type { AddressPolicy } from "../net/address-policy.ts";
import type { OperationalEvents } from "../operational/operational-events.ts";
import { OPERATIONAL_APP_ID } from "../store/operational-app.ts";
import type { Store } from "../store/store.ts";
import type { FanOutSlot } from "../worker/worker.ts";
import type { Principal } from "./auth-tokens.ts";
import { HttpError, notFound } from "./errors.ts";
import type { TokenRevocations } from "./token-revocations.ts";

/** Everything a route needs, built once by the server and passed to every route plugin. */
export interface ApiContext {
  config: ResolvedConfig;
  store: Store;
  clock: Clock;
  addressPolicy: AddressPolicy;
  operationalEvents: OperationalEvents;
  adminToken: string;
  mainSecret: string;
  /** Tells an in-process worker that new work is queued, so it need not wait for its next poll. */
  notifyWork: () => void;
  /** A slot of the in-process worker for the fan-out of a message being accepted (null: none, or no room). */
  reserveFanOut: () => FanOutSlot | null;
  /** App tokens revoked by logout or expire-all (made by buildApi). */
  tokenRevocations: TokenRevocations;
}

export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** Who may call a route: the admin token only (default), an app-scoped token of that app too, or anyone. */
export type Access = "admin" | "app" | "public";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    access?: Access;
    /** Declares that a write open to app tokens needs no capability beyond ViewBase (see registerAuth). */
    capability?: "ViewBase";
  }
}

/**
 * Loads the application named in the path (id or uid) and checks that the caller may use it.
 * The internal operational-webhook application is never reachable through the app routes.
 */
export async function requireApp(context: ApiContext, request: FastifyRequest, appIdOrUid: string): Promise<Application> {
  const app = await findApp(context, appIdOrUid);
  if (!app) throw notFound("Application");
  assertAppScope(request, app);
  return app;
}

/** An app-scoped token may only touch its own application. */
export function assertAppScope(request: FastifyRequest, app: Application): void {
  const principal = request.principal;
  if (principal?.kind === "app" && principal.appId !== app.id) {
    throw new HttpError("forbidden", "This token is scoped to another application");
  }
}

/** An application by id or uid, never the internal operational-webhook one. */
export async function findApp(context: ApiContext, appIdOrUid: string): Promise<Application | null> {
  if (appIdOrUid === OPERATIONAL_APP_ID) return null;
  const app = await context.store.getApplication(appIdOrUid);
  return app && app.id !== OPERATIONAL_APP_ID ? app : null;
}
