import { Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";

import type { EventType } from "../../domain/types.ts";
import type { Api, ApiContext } from "../context.ts";
import { notFound } from "../errors.ts";
import { toListOut, toPageRequest } from "../pagination.ts";
import { AnyObject, DateTime, EventTypeName, ListOut, Nullable, OrderQuery, PageQuery } from "../schemas/common.ts";
import { eventTypeOut } from "../serializers.ts";

/** An event type behind a feature flag is hidden from app tokens that were not given that flag (Svix's featureFlags). */
function isVisibleTo(request: FastifyRequest, eventType: EventType): boolean {
  const principal = request.principal;
  return principal?.kind !== "app" || eventType.featureFlag === null || principal.featureFlags.includes(eventType.featureFlag);
}

const Schemas = Nullable(Type.Record(Type.String(), AnyObject));

const EventTypeUpdate = Type.Object({
  description: Type.String({ maxLength: 2048 }),
  schemas: Type.Optional(Schemas),
  archived: Type.Optional(Type.Boolean({ default: false })),
  deprecated: Type.Optional(Type.Boolean({ default: false })),
  featureFlag: Type.Optional(Nullable(EventTypeName)),
});
const EventTypeIn = Type.Composite([Type.Object({ name: EventTypeName }), EventTypeUpdate]);
/**
 * PATCH leaves absent fields alone, so its schema carries no defaults: Ajv (useDefaults) would
 * otherwise fill in `archived: false, deprecated: false` and un-archive on every patch.
 */
const EventTypePatch = Type.Object({
  description: Type.Optional(Type.String({ maxLength: 2048 })),
  schemas: Type.Optional(Schemas),
  archived: Type.Optional(Type.Boolean()),
  deprecated: Type.Optional(Type.Boolean()),
  featureFlag: Type.Optional(Nullable(EventTypeName)),
});

const EventTypeOut = Type.Object({
  name: Type.String(),
  description: Type.String(),
  archived: Type.Boolean(),
  deprecated: Type.Boolean(),
  featureFlag: Nullable(Type.String()),
  schemas: Nullable(AnyObject),
  createdAt: DateTime,
  updatedAt: DateTime,
});

const NameParams = Type.Object({ event_type_name: EventTypeName });
const tags = ["Event Type"];

export async function eventTypeRoutes(app: Api, context: ApiContext): Promise<void> {
  const { store, clock } = context;

  async function requireEventType(name: string): Promise<EventType> {
    const eventType = await store.getEventType(name);
    if (!eventType) throw notFound("Event type");
    return eventType;
  }

  app.get(
    "/api/v1/event-type",
    {
      schema: {
        tags,
        operationId: "v1.event-type.list",
        querystring: Type.Object({
          ...PageQuery,
          ...OrderQuery,
          include_archived: Type.Optional(Type.Boolean({ default: false })),
          with_content: Type.Optional(Type.Boolean({ default: false })),
        }),
        response: { 200: ListOut(EventTypeOut) },
      },
      config: { access: "app" },
    },
    async (request) => {
      const page = await store.listEventTypes(toPageRequest(request.query, "ascending"), request.query.include_archived ?? false);
      const visible = { ...page, items: page.items.filter((eventType) => isVisibleTo(request, eventType)) };
      return toListOut(visible, (eventType) => eventTypeOut(eventType, request.query.with_content ?? false));
    },
  );

  app.post(
    "/api/v1/event-type",
    { schema: { tags, operationId: "v1.event-type.create", body: EventTypeIn, response: { 201: EventTypeOut } } },
    async (request, reply) => {
      const now = clock.now();
      const body = request.body;
      const eventType: EventType = {
        name: body.name,
        description: body.description,
        schemas: body.schemas ?? null,
        archived: body.archived ?? false,
        deprecated: body.deprecated ?? false,
        featureFlag: body.featureFlag ?? null,
        retrySchedule: null,
        createdAt: now,
        updatedAt: now,
      };
      await store.createEventType(eventType);
      return reply.code(201).send(eventTypeOut(eventType));
    },
  );

  app.get(
    "/api/v1/event-type/:event_type_name",
    { schema: { tags, operationId: "v1.event-type.get", params: NameParams, response: { 200: EventTypeOut } }, config: { access: "app" } },
    async (request) => {
      const eventType = await requireEventType(request.params.event_type_name);
      if (!isVisibleTo(request, eventType)) throw notFound("Event type");
      return eventTypeOut(eventType);
    },
  );

  app.put(
    "/api/v1/event-type/:event_type_name",
    { schema: { tags, operationId: "v1.event-type.update", params: NameParams, body: EventTypeUpdate, response: { 200: EventTypeOut, 201: EventTypeOut } } },
    async (request, reply) => {
      const now = clock.now();
      const existing = await store.getEventType(request.params.event_type_name);
      const body = request.body;
      const eventType: EventType = {
        name: request.params.event_type_name,
        description: body.description,
        schemas: body.schemas ?? null,
        archived: body.archived ?? false,
        deprecated: body.deprecated ?? false,
        featureFlag: body.featureFlag ?? null,
        retrySchedule: existing?.retrySchedule ?? null,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      if (existing) await store.updateEventType(eventType);
      else await store.createEventType(eventType);
      return reply.code(existing ? 200 : 201).send(eventTypeOut(eventType));
    },
  );

  app.patch(
    "/api/v1/event-type/:event_type_name",
    { schema: { tags, operationId: "v1.event-type.patch", params: NameParams, body: EventTypePatch, response: { 200: EventTypeOut } } },
    async (request) => {
      const existing = await requireEventType(request.params.event_type_name);
      const body = request.body;
      const eventType: EventType = {
        ...existing,
        description: body.description ?? existing.description,
        schemas: body.schemas !== undefined ? body.schemas : existing.schemas,
        archived: body.archived ?? existing.archived,
        deprecated: body.deprecated ?? existing.deprecated,
        featureFlag: body.featureFlag !== undefined ? body.featureFlag : existing.featureFlag,
        updatedAt: clock.now(),
      };
      await store.updateEventType(eventType);
      return eventTypeOut(eventType);
    },
  );

  app.delete(
    "/api/v1/event-type/:event_type_name",
    {
      schema: {
        tags,
        operationId: "v1.event-type.delete",
        params: NameParams,
        querystring: Type.Object({ expunge: Type.Optional(Type.Boolean({ default: false })) }),
      },
    },
    async (request, reply) => {
      const existing = await requireEventType(request.params.event_type_name);
      // Svix archives by default; `expunge=true` removes the event type for good.
      if (request.query.expunge) await store.expungeEventType(existing.name);
      else await store.updateEventType({ ...existing, archived: true, updatedAt: clock.now() });
      return reply.code(204).send();
    },
  );
}
