import { Type } from "@sinclair/typebox";

import { generateEndpointSecret } from "../../crypto/endpoint-secret.ts";
import { ed25519PublicKey } from "../../delivery/signatures.ts";
import { headersForDisplay } from "../../domain/endpoint-headers.ts";
import { MAX_OLD_KEYS, rotateKeys } from "../../domain/endpoint-keys.ts";
import { newId } from "../../domain/ids.ts";
import { MESSAGE_RETENTION_MS } from "../../domain/retention.ts";
import { endpointEventData } from "../../operational/operational-events.ts";
import { resolveDeliveryOptions } from "../../profiles/profiles.ts";
import type { Api, ApiContext } from "../context.ts";
import { deliveryFromInput } from "../delivery-options-input.ts";
import { checkHeaders, checkSecret, mergeHeaders } from "../endpoint-input.ts";
import { FieldError, HttpError } from "../errors.ts";
import { parseDateTime } from "../pagination.ts";
import { DateTime, EndpointParams, EventTypeName, Nullable, SecretKey } from "../schemas/common.ts";
import { HeaderMap } from "../schemas/endpoint.ts";
import { MessageOut } from "../schemas/message.ts";
import { messageOut } from "../serializers.ts";
import { requireEndpoint } from "./endpoints.ts";

const tags = ["Endpoint"];
const DEFAULT_GRACE_PERIOD_SECONDS = 86_400;

export async function endpointExtraRoutes(app: Api, context: ApiContext): Promise<void> {
  const { store, clock, operationalEvents } = context;
  const config = { access: "app" as const };

  app.get(
    "/api/v1/app/:app_id/endpoint/:endpoint_id/secret",
    {
      schema: {
        tags,
        operationId: "v1.endpoint.get-secret",
        params: EndpointParams,
        response: { 200: Type.Object({ key: Type.String(), publicKey: Type.Optional(Type.String()) }) },
      },
      config,
    },
    async (request) => {
      const { endpoint } = await requireEndpoint(context, request, request.params);
      const key = endpoint.keys[0]!.key;
      // Herald extension: with ed25519 signing, the public key (whpk_…) receivers verify v1a with.
      const { signatures } = resolveDeliveryOptions(endpoint.profile, endpoint.options, context.config);
      return signatures.some((signature) => signature.scheme === "ed25519") ? { key, publicKey: ed25519PublicKey(key) } : { key };
    },
  );

  app.post(
    "/api/v1/app/:app_id/endpoint/:endpoint_id/secret/rotate",
    {
      schema: {
        tags,
        operationId: "v1.endpoint.rotate-secret",
        params: EndpointParams,
        body: Type.Optional(
          Type.Object({
            key: Type.Optional(Nullable(SecretKey)),
            gracePeriodSeconds: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 604_800 }))),
          }),
        ),
      },
      config,
    },
    async (request, reply) => {
      const { app: application, endpoint } = await requireEndpoint(context, request, request.params);
      const now = clock.now();
      const grace = request.body?.gracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS;
      const newKey = request.body?.key ? checkSecret(request.body.key, ["body", "key"]) : generateEndpointSecret();
      // Every key still inside its grace period keeps signing, so receivers can switch at leisure.
      const keys = rotateKeys(endpoint.keys, newKey, grace * 1000, now);
      if (!keys) throw new HttpError("limit_reached", `An endpoint can have at most ${MAX_OLD_KEYS} keys in their grace period`);
      const updated = { ...endpoint, keys, version: endpoint.version + 1, updatedAt: now };
      await store.updateEndpoint(updated);
      await operationalEvents.emit("endpoint.updated", endpointEventData(application, updated));
      return reply.code(204).send();
    },
  );

  app.get(
    "/api/v1/app/:app_id/endpoint/:endpoint_id/headers",
    {
      schema: {
        tags,
        operationId: "v1.endpoint.get-headers",
        params: EndpointParams,
        response: { 200: Type.Object({ headers: HeaderMap, sensitive: Type.Array(Type.String()) }) },
      },
      config,
    },
    async (request) => headersForDisplay((await requireEndpoint(context, request, request.params)).endpoint.headers, context.config.sensitiveHeaders),
  );

  for (const method of ["put", "patch"] as const) {
    app[method](
      "/api/v1/app/:app_id/endpoint/:endpoint_id/headers",
      {
        schema: {
          tags,
          operationId: method === "put" ? "v1.endpoint.update-headers" : "v1.endpoint.patch-headers",
          params: EndpointParams,
          body: Type.Object({
            headers: Type.Record(Type.String({ minLength: 1, maxLength: 256 }), method === "put" ? Type.String({ maxLength: 8192 }) : Nullable(Type.String({ maxLength: 8192 }))),
            // PATCH only: the svix SDK (whose headers type cannot hold null) names removals here.
            ...(method === "patch" ? { deleteHeaders: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }))) } : {}),
          }),
        },
        config,
      },
      async (request, reply) => {
        const { app: application, endpoint } = await requireEndpoint(context, request, request.params);
        const body = request.body as { headers: Record<string, string | null>; deleteHeaders?: string[] };
        const input: Record<string, string | null> = { ...body.headers };
        for (const name of body.deleteHeaders ?? []) input[name] = null;
        checkHeaders(input);
        const headers = method === "put" ? (input as Record<string, string>) : mergeHeaders(endpoint.headers, input);
        // The endpoint's options may depend on its headers (trackdechets needs its Authorization).
        deliveryFromInput({}, endpoint, headers, context.config);
        const updated = { ...endpoint, headers, version: endpoint.version + 1, updatedAt: clock.now() };
        await store.updateEndpoint(updated);
        await operationalEvents.emit("endpoint.updated", endpointEventData(application, updated));
        return reply.code(204).send();
      },
    );
  }

  app.get(
    "/api/v1/app/:app_id/endpoint/:endpoint_id/stats",
    {
      schema: {
        tags,
        operationId: "v1.endpoint.get-stats",
        params: EndpointParams,
        querystring: Type.Object({ since: Type.Optional(Nullable(DateTime)), until: Type.Optional(Nullable(DateTime)) }),
        response: {
          200: Type.Object({ success: Type.Integer(), pending: Type.Integer(), sending: Type.Integer(), fail: Type.Integer(), canceled: Type.Integer() }),
        },
      },
      config,
    },
    async (request) => {
      const { app: application, endpoint } = await requireEndpoint(context, request, request.params);
      const since = request.query.since ? parseDateTime(request.query.since) : 0;
      const until = request.query.until ? parseDateTime(request.query.until) : clock.now() + 60 * 60 * 1000;
      return store.getEndpointStats(application.id, endpoint.id, since, until);
    },
  );

  app.post(
    "/api/v1/app/:app_id/endpoint/:endpoint_id/send-example",
    {
      schema: {
        tags,
        operationId: "v1.endpoint.send-example",
        params: EndpointParams,
        body: Type.Object({ eventType: EventTypeName }),
        response: { 200: MessageOut },
      },
      config,
    },
    async (request) => {
      const { app: application, endpoint } = await requireEndpoint(context, request, request.params);
      const eventType = await store.getEventType(request.body.eventType);
      if (!eventType) throw new FieldError(["body", "eventType"], `Event type ${request.body.eventType} does not exist`);
      const now = clock.now();
      const message = {
        id: newId("message", now),
        appId: application.id,
        eventId: null,
        eventType: eventType.name,
        payload: JSON.stringify(exampleOf(eventType.schemas)),
        channels: null,
        metadata: {},
        previous: null,
        createdAt: now,
        expiresAt: now + MESSAGE_RETENTION_MS,
      };
      await store.createMessageForEndpoint(message, endpoint.id);
      context.notifyWork();
      return messageOut(message, true);
    },
  );
}

/** The payload send-example uses: the first example of the newest schema version, else `{}`. */
export function exampleOf(schemas: Record<string, unknown> | null): unknown {
  if (!schemas) return {};
  const versions = Object.keys(schemas).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const schema = schemas[version] as { examples?: unknown[]; example?: unknown } | undefined;
    if (Array.isArray(schema?.examples) && schema.examples.length > 0) return schema.examples[0];
    if (schema?.example !== undefined) return schema.example;
  }
  return {};
}
