import { Type } from "@sinclair/typebox";

import { generateEndpointSecret } from "../../crypto/endpoint-secret.ts";
import { headersForDisplay } from "../../domain/endpoint-headers.ts";
import { MAX_OLD_KEYS, rotateKeys } from "../../domain/endpoint-keys.ts";
import type { Endpoint } from "../../domain/types.ts";
import { OPERATIONAL_EVENT_TYPES } from "../../operational/operational-events.ts";
import { OPERATIONAL_APP_ID } from "../../store/operational-app.ts";
import type { Api, ApiContext } from "../context.ts";
import { checkHeaders, checkSecret, checkUrl, newEndpoint } from "../endpoint-input.ts";
import { FieldError, HttpError, notFound } from "../errors.ts";
import { toListOut, toPageRequest } from "../pagination.ts";
import { DateTime, ListOut, Metadata, Nullable, OrderQuery, PageQuery, SecretKey, ThrottleRate, Uid } from "../schemas/common.ts";
import { HeaderMap } from "../schemas/endpoint.ts";
import { endpointBaseOut } from "../serializers.ts";

/**
 * Hosted Svix's `/operational-webhook/endpoint` routes: endpoints of the internal operational
 * application, which receive Herald's own events (see operational-events.ts). Admin only.
 */
const tags = ["Webhook Endpoint"];

const upsertFields = {
  url: Type.String({ minLength: 1, maxLength: 65536 }),
  description: Type.Optional(Type.String({ maxLength: 4096 })),
  uid: Type.Optional(Nullable(Uid)),
  disabled: Type.Optional(Type.Boolean()),
  filterTypes: Type.Optional(Nullable(Type.Array(Type.String({ maxLength: 256 })))),
  eventTypes: Type.Optional(Nullable(Type.Array(Type.String({ maxLength: 256 })))),
  throttleRate: Type.Optional(Nullable(ThrottleRate)),
  rateLimit: Type.Optional(Nullable(ThrottleRate)),
  metadata: Type.Optional(Metadata),
};
const OperationalEndpointIn = Type.Object({ ...upsertFields, secret: Type.Optional(Nullable(SecretKey)), headers: Type.Optional(Nullable(HeaderMap)) });
const OperationalEndpointUpsertIn = Type.Object(upsertFields);
const OperationalEndpointOut = Type.Object({
  id: Type.String(),
  uid: Nullable(Type.String()),
  url: Type.String(),
  description: Type.String(),
  disabled: Type.Boolean(),
  filterTypes: Nullable(Type.Array(Type.String())),
  eventTypes: Nullable(Type.Array(Type.String())),
  throttleRate: Nullable(Type.Integer()),
  rateLimit: Nullable(Type.Integer()),
  metadata: Metadata,
  createdAt: DateTime,
  updatedAt: DateTime,
});
const Params = Type.Object({ endpoint_id: Type.String({ minLength: 1, maxLength: 256 }) });

/** Same wire shape as an app endpoint, less channels and version (the response schema drops them). */
const operationalEndpointOut = endpointBaseOut;

function checkOperationalTypes(body: { filterTypes?: string[] | null; eventTypes?: string[] | null }): string[] | null {
  const field = body.eventTypes !== undefined ? "eventTypes" : "filterTypes";
  const names = body.eventTypes ?? body.filterTypes ?? null;
  if (!names || names.length === 0) return null;
  const unknown = names.filter((name) => !(OPERATIONAL_EVENT_TYPES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new FieldError(["body", field], `Unknown operational event types: ${unknown.join(", ")}`);
  return names;
}

export async function operationalWebhookRoutes(app: Api, context: ApiContext): Promise<void> {
  const { store, clock } = context;
  const base = "/api/v1/operational-webhook/endpoint";

  async function requireOperationalEndpoint(idOrUid: string): Promise<Endpoint> {
    const endpoint = await store.getEndpoint(OPERATIONAL_APP_ID, idOrUid);
    if (!endpoint) throw notFound("Endpoint");
    return endpoint;
  }

  app.get(
    base,
    { schema: { tags, operationId: "v1.operational-webhook.endpoint.list", querystring: Type.Object({ ...PageQuery, ...OrderQuery }), response: { 200: ListOut(OperationalEndpointOut) } } },
    async (request) => toListOut(await store.listEndpoints(OPERATIONAL_APP_ID, toPageRequest(request.query, "ascending")), operationalEndpointOut),
  );

  app.post(
    base,
    { schema: { tags, operationId: "v1.operational-webhook.endpoint.create", body: OperationalEndpointIn, response: { 201: OperationalEndpointOut } } },
    async (request, reply) => {
      const body = request.body;
      checkUrl(context, body.url);
      if (body.headers) checkHeaders(body.headers);
      const endpoint = newEndpoint(
        OPERATIONAL_APP_ID,
        { ...body, uid: body.uid ?? null, eventTypes: checkOperationalTypes(body), secret: checkSecret(body.secret), throttleRate: body.throttleRate ?? body.rateLimit },
        clock.now(),
      );
      await store.createEndpoint(endpoint);
      return reply.code(201).send(operationalEndpointOut(endpoint));
    },
  );

  app.get(
    `${base}/:endpoint_id`,
    { schema: { tags, operationId: "v1.operational-webhook.endpoint.get", params: Params, response: { 200: OperationalEndpointOut } } },
    async (request) => operationalEndpointOut(await requireOperationalEndpoint(request.params.endpoint_id)),
  );

  app.put(
    `${base}/:endpoint_id`,
    { schema: { tags, operationId: "v1.operational-webhook.endpoint.upsert", params: Params, body: OperationalEndpointUpsertIn, response: { 200: OperationalEndpointOut, 201: OperationalEndpointOut } } },
    async (request, reply) => {
      const body = request.body;
      checkUrl(context, body.url);
      const eventTypes = checkOperationalTypes(body);
      const existing = await store.getEndpoint(OPERATIONAL_APP_ID, request.params.endpoint_id);
      const now = clock.now();
      if (!existing) {
        const endpoint = newEndpoint(
          OPERATIONAL_APP_ID,
          { ...body, uid: body.uid ?? request.params.endpoint_id, eventTypes, secret: generateEndpointSecret(), throttleRate: body.throttleRate ?? body.rateLimit },
          now,
        );
        await store.createEndpoint(endpoint);
        return reply.code(201).send(operationalEndpointOut(endpoint));
      }
      const updated: Endpoint = {
        ...existing,
        url: body.url,
        description: body.description ?? "",
        uid: body.uid !== undefined ? body.uid : existing.uid,
        disabled: body.disabled ?? false,
        eventTypes,
        throttleRate: body.throttleRate ?? body.rateLimit ?? null,
        metadata: body.metadata ?? {},
        version: existing.version + 1,
        updatedAt: now,
      };
      await store.updateEndpoint(updated);
      return reply.code(200).send(operationalEndpointOut(updated));
    },
  );

  app.delete(`${base}/:endpoint_id`, { schema: { tags, operationId: "v1.operational-webhook.endpoint.delete", params: Params } }, async (request, reply) => {
    const endpoint = await requireOperationalEndpoint(request.params.endpoint_id);
    await store.deleteEndpoint(OPERATIONAL_APP_ID, endpoint.id, clock.now());
    return reply.code(204).send();
  });

  app.get(
    `${base}/:endpoint_id/secret`,
    { schema: { tags, operationId: "v1.operational-webhook.endpoint.get-secret", params: Params, response: { 200: Type.Object({ key: Type.String() }) } } },
    async (request) => ({ key: (await requireOperationalEndpoint(request.params.endpoint_id)).keys[0].key }),
  );

  app.post(
    `${base}/:endpoint_id/secret/rotate`,
    {
      schema: {
        tags,
        operationId: "v1.operational-webhook.endpoint.rotate-secret",
        params: Params,
        body: Type.Optional(Type.Object({ key: Type.Optional(Nullable(SecretKey)), gracePeriodSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 604_800 })) })),
      },
    },
    async (request, reply) => {
      const endpoint = await requireOperationalEndpoint(request.params.endpoint_id);
      const now = clock.now();
      const grace = (request.body?.gracePeriodSeconds ?? 86_400) * 1000;
      const key = request.body?.key ? checkSecret(request.body.key, ["body", "key"]) : generateEndpointSecret();
      const keys = rotateKeys(endpoint.keys, key, grace, now);
      if (!keys) throw new HttpError("limit_reached", `An endpoint can have at most ${MAX_OLD_KEYS} keys in their grace period`);
      await store.updateEndpoint({ ...endpoint, keys, version: endpoint.version + 1, updatedAt: now });
      return reply.code(204).send();
    },
  );

  app.get(
    `${base}/:endpoint_id/headers`,
    { schema: { tags, operationId: "v1.operational-webhook.endpoint.get-headers", params: Params, response: { 200: Type.Object({ headers: HeaderMap, sensitive: Type.Array(Type.String()) }) } } },
    async (request) => headersForDisplay((await requireOperationalEndpoint(request.params.endpoint_id)).headers, context.config.sensitiveHeaders),
  );

  app.put(
    `${base}/:endpoint_id/headers`,
    { schema: { tags, operationId: "v1.operational-webhook.endpoint.set-headers", params: Params, body: Type.Object({ headers: HeaderMap }) } },
    async (request, reply) => {
      const endpoint = await requireOperationalEndpoint(request.params.endpoint_id);
      checkHeaders(request.body.headers);
      await store.updateEndpoint({ ...endpoint, headers: request.body.headers, version: endpoint.version + 1, updatedAt: clock.now() });
      return reply.code(204).send();
    },
  );
}
