import { type Static, Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";

import type { Application, Endpoint } from "../../domain/types.ts";
import { endpointEventData } from "../../operational/operational-events.ts";
import type { Api, ApiContext } from "../context.ts";
import { requireApp } from "../context.ts";
import { assertEditableByCaller, deliveryFromInput } from "../delivery-options-input.ts";
import { checkEventTypes, checkHeaders, checkSecret, checkUrl, HEALTHY, newEndpoint } from "../endpoint-input.ts";
import { notFound } from "../errors.ts";
import { toListOut, toPageRequest } from "../pagination.ts";
import { AppParams, EndpointParams, ListOut, OrderQuery, PageQuery } from "../schemas/common.ts";
import { EndpointIn, EndpointOut, EndpointPatch, EndpointUpdate } from "../schemas/endpoint.ts";
import { endpointOut } from "../serializers.ts";

const tags = ["Endpoint"];

/** The application and endpoint named in the path; 404 unless both exist and the caller may see them. */
export async function requireEndpoint(
  context: ApiContext,
  request: FastifyRequest,
  params: { app_id: string; endpoint_id: string },
): Promise<{ app: Application; endpoint: Endpoint }> {
  const app = await requireApp(context, request, params.app_id);
  const endpoint = await context.store.getEndpoint(app.id, params.endpoint_id);
  if (!endpoint) throw notFound("Endpoint");
  return { app, endpoint };
}

export async function endpointRoutes(app: Api, context: ApiContext): Promise<void> {
  const { store, clock, operationalEvents } = context;
  const config = { access: "app" as const };

  const out = (endpoint: Endpoint) => endpointOut(endpoint, context.config);

  async function create(application: Application, body: Static<typeof EndpointIn>, uid: string | null): Promise<Endpoint> {
    checkUrl(context, body.url);
    if (body.headers) checkHeaders(body.headers);
    const endpoint = newEndpoint(
      application.id,
      {
        ...body,
        uid,
        eventTypes: (await checkEventTypes(context, body)) ?? null,
        secret: checkSecret(body.secret),
        throttleRate: body.throttleRate ?? body.rateLimit,
        delivery: deliveryFromInput(body, null, body.headers ?? {}, context.config),
      },
      clock.now(),
    );
    await store.createEndpoint(endpoint);
    await operationalEvents.emit("endpoint.created", endpointEventData(application, endpoint));
    return endpoint;
  }

  async function save(application: Application, endpoint: Endpoint): Promise<Endpoint> {
    const updated = { ...endpoint, version: endpoint.version + 1, updatedAt: clock.now() };
    await store.updateEndpoint(updated);
    await operationalEvents.emit("endpoint.updated", endpointEventData(application, updated));
    return updated;
  }

  app.get(
    "/api/v1/app/:app_id/endpoint",
    {
      schema: { tags, operationId: "v1.endpoint.list", params: AppParams, querystring: Type.Object({ ...PageQuery, ...OrderQuery }), response: { 200: ListOut(EndpointOut) } },
      config,
    },
    async (request) => {
      const application = await requireApp(context, request, request.params.app_id);
      return toListOut(await store.listEndpoints(application.id, toPageRequest(request.query, "ascending")), out);
    },
  );

  app.post(
    "/api/v1/app/:app_id/endpoint",
    { schema: { tags, operationId: "v1.endpoint.create", params: AppParams, body: EndpointIn, response: { 201: EndpointOut } }, config },
    async (request, reply) => {
      const application = await requireApp(context, request, request.params.app_id);
      assertEditableByCaller(request, request.body, context.config.portal.editableDeliveryOptions);
      const endpoint = await create(application, request.body, request.body.uid ?? null);
      return reply.code(201).send(out(endpoint));
    },
  );

  app.get(
    "/api/v1/app/:app_id/endpoint/:endpoint_id",
    { schema: { tags, operationId: "v1.endpoint.get", params: EndpointParams, response: { 200: EndpointOut } }, config },
    async (request) => out((await requireEndpoint(context, request, request.params)).endpoint),
  );

  app.put(
    "/api/v1/app/:app_id/endpoint/:endpoint_id",
    { schema: { tags, operationId: "v1.endpoint.update", params: EndpointParams, body: EndpointUpdate, response: { 200: EndpointOut, 201: EndpointOut } }, config },
    async (request, reply) => {
      const application = await requireApp(context, request, request.params.app_id);
      const existing = await store.getEndpoint(application.id, request.params.endpoint_id);
      const body = request.body;
      assertEditableByCaller(request, body, context.config.portal.editableDeliveryOptions);
      if (!existing) {
        // Upsert: the path names the new endpoint's uid (Svix behaviour).
        const endpoint = await create(application, body, body.uid ?? request.params.endpoint_id);
        return reply.code(201).send(out(endpoint));
      }
      checkUrl(context, body.url);
      const reenabled = body.disabled === false && existing.disabled;
      const updated = await save(application, {
        ...existing,
        ...deliveryFromInput(body, null, existing.headers, context.config),
        url: body.url,
        description: body.description ?? "",
        uid: body.uid !== undefined ? body.uid : existing.uid,
        eventTypes: (await checkEventTypes(context, body)) ?? null,
        channels: body.channels ?? null,
        throttleRate: body.throttleRate ?? body.rateLimit ?? null,
        disabled: body.disabled ?? false,
        // Re-enabling starts the failure counts afresh.
        ...(reenabled ? HEALTHY : {}),
        metadata: body.metadata ?? {},
      });
      return reply.code(200).send(out(updated));
    },
  );

  app.patch(
    "/api/v1/app/:app_id/endpoint/:endpoint_id",
    { schema: { tags, operationId: "v1.endpoint.patch", params: EndpointParams, body: EndpointPatch, response: { 200: EndpointOut } }, config },
    async (request) => {
      const { app: application, endpoint } = await requireEndpoint(context, request, request.params);
      const body = request.body;
      assertEditableByCaller(request, body, context.config.portal.editableDeliveryOptions);
      if (body.url !== undefined) checkUrl(context, body.url);
      const eventTypes = await checkEventTypes(context, body);
      const throttleRate = body.throttleRate !== undefined ? body.throttleRate : body.rateLimit;
      const reenabled = body.disabled === false && endpoint.disabled;
      const updated = await save(application, {
        ...endpoint,
        ...deliveryFromInput(body, endpoint, endpoint.headers, context.config),
        url: body.url ?? endpoint.url,
        description: body.description ?? endpoint.description,
        uid: body.uid !== undefined ? body.uid : endpoint.uid,
        eventTypes: eventTypes !== undefined ? eventTypes : endpoint.eventTypes,
        channels: body.channels !== undefined ? body.channels : endpoint.channels,
        throttleRate: throttleRate !== undefined ? throttleRate : endpoint.throttleRate,
        disabled: body.disabled ?? endpoint.disabled,
        // Re-enabling starts the failure counts afresh.
        ...(reenabled ? HEALTHY : {}),
        metadata: body.metadata ?? endpoint.metadata,
        keys: body.secret !== undefined && body.secret !== null ? [{ key: checkSecret(body.secret), expiresAt: null }] : endpoint.keys,
      });
      return out(updated);
    },
  );

  app.delete(
    "/api/v1/app/:app_id/endpoint/:endpoint_id",
    { schema: { tags, operationId: "v1.endpoint.delete", params: EndpointParams }, config },
    async (request, reply) => {
      const { app: application, endpoint } = await requireEndpoint(context, request, request.params);
      await store.deleteEndpoint(application.id, endpoint.id, clock.now());
      await operationalEvents.emit("endpoint.deleted", endpointEventData(application, endpoint));
      return reply.code(204).send();
    },
  );
}
