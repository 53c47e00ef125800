import { Type } from "@sinclair/typebox";

import { newId } from "../../domain/ids.ts";
import type { Application } from "../../domain/types.ts";
import type { Api, ApiContext } from "../context.ts";
import { findApp, requireApp } from "../context.ts";
import { notFound } from "../errors.ts";
import { toListOut, toPageRequest } from "../pagination.ts";
import { AppParams, DateTime, ListOut, Metadata, Nullable, OrderQuery, PageQuery, ThrottleRate, Uid } from "../schemas/common.ts";
import { applicationOut } from "../serializers.ts";

export const ApplicationIn = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 256 }),
  uid: Type.Optional(Nullable(Uid)),
  throttleRate: Type.Optional(Nullable(ThrottleRate)),
  rateLimit: Type.Optional(Nullable(ThrottleRate)),
  metadata: Type.Optional(Metadata),
});

const ApplicationPatch = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  uid: Type.Optional(Nullable(Uid)),
  throttleRate: Type.Optional(Nullable(ThrottleRate)),
  rateLimit: Type.Optional(Nullable(ThrottleRate)),
  metadata: Type.Optional(Metadata),
});

const ApplicationOut = Type.Object({
  id: Type.String(),
  uid: Nullable(Type.String()),
  name: Type.String(),
  throttleRate: Nullable(Type.Integer()),
  rateLimit: Nullable(Type.Integer()),
  metadata: Metadata,
  createdAt: DateTime,
  updatedAt: DateTime,
});

const tags = ["Application"];

/** Builds a new application from ApplicationIn (also used by inline creation on message POST). */
export function newApplication(input: { name: string; uid?: string | null; throttleRate?: number | null; rateLimit?: number | null; metadata?: Record<string, string> }, now: number): Application {
  return {
    id: newId("application", now),
    uid: input.uid ?? null,
    name: input.name,
    throttleRate: input.throttleRate ?? input.rateLimit ?? null,
    metadata: input.metadata ?? {},
    createdAt: now,
    updatedAt: now,
  };
}

export async function applicationRoutes(app: Api, context: ApiContext): Promise<void> {
  const { store, clock } = context;

  app.get(
    "/api/v1/app",
    { schema: { tags, operationId: "v1.application.list", querystring: Type.Object({ ...PageQuery, ...OrderQuery }), response: { 200: ListOut(ApplicationOut) } } },
    async (request) => toListOut(await store.listApplications(toPageRequest(request.query, "ascending")), applicationOut),
  );

  app.post(
    "/api/v1/app",
    {
      schema: {
        tags,
        operationId: "v1.application.create",
        querystring: Type.Object({ get_if_exists: Type.Optional(Type.Boolean({ default: false })) }),
        body: ApplicationIn,
        response: { 200: ApplicationOut, 201: ApplicationOut },
      },
    },
    async (request, reply) => {
      if (request.query.get_if_exists && request.body.uid) {
        const existing = await findApp(context, request.body.uid);
        if (existing) return reply.code(200).send(applicationOut(existing));
      }
      const created = newApplication(request.body, clock.now());
      await store.createApplication(created);
      return reply.code(201).send(applicationOut(created));
    },
  );

  app.get(
    "/api/v1/app/:app_id",
    { schema: { tags, operationId: "v1.application.get", params: AppParams, response: { 200: ApplicationOut } }, config: { access: "app" } },
    async (request) => applicationOut(await requireApp(context, request, request.params.app_id)),
  );

  app.put(
    "/api/v1/app/:app_id",
    { schema: { tags, operationId: "v1.application.update", params: AppParams, body: ApplicationIn, response: { 200: ApplicationOut, 201: ApplicationOut } } },
    async (request, reply) => {
      const existing = await findApp(context, request.params.app_id);
      const now = clock.now();
      if (!existing) {
        // Upsert: the path names the new application's uid (Svix behaviour).
        const created = newApplication({ uid: request.params.app_id, ...request.body }, now);
        await store.createApplication(created);
        return reply.code(201).send(applicationOut(created));
      }
      const updated: Application = {
        ...existing,
        name: request.body.name,
        uid: request.body.uid ?? existing.uid,
        throttleRate: request.body.throttleRate ?? request.body.rateLimit ?? null,
        metadata: request.body.metadata ?? {},
        updatedAt: now,
      };
      await store.updateApplication(updated);
      return reply.code(200).send(applicationOut(updated));
    },
  );

  app.patch(
    "/api/v1/app/:app_id",
    { schema: { tags, operationId: "v1.application.patch", params: AppParams, body: ApplicationPatch, response: { 200: ApplicationOut } } },
    async (request) => {
      const existing = await findApp(context, request.params.app_id);
      if (!existing) throw notFound("Application");
      const body = request.body;
      const updated: Application = {
        ...existing,
        name: body.name ?? existing.name,
        uid: body.uid !== undefined ? body.uid : existing.uid,
        throttleRate: body.throttleRate !== undefined ? body.throttleRate : body.rateLimit !== undefined ? body.rateLimit : existing.throttleRate,
        metadata: body.metadata ?? existing.metadata,
        updatedAt: clock.now(),
      };
      await store.updateApplication(updated);
      return applicationOut(updated);
    },
  );

  app.delete(
    "/api/v1/app/:app_id",
    { schema: { tags, operationId: "v1.application.delete", params: AppParams } },
    async (request, reply) => {
      const existing = await findApp(context, request.params.app_id);
      if (!existing) throw notFound("Application");
      await store.deleteApplication(existing.id, clock.now());
      return reply.code(204).send();
    },
  );
}
