import { Type } from "@sinclair/typebox";

import type { Endpoint } from "../../domain/types.ts";
import { checkEndpointUrl } from "../../net/address-policy.ts";
import { endpointEventData } from "../../operational/operational-events.ts";
import { checkTransformationAsync, runTransformationAsync, TransformationError } from "../../transform/sandbox.ts";
import type { Api, ApiContext } from "../context.ts";
import { FieldError } from "../errors.ts";
import { AnyObject, DateTime, EndpointParams, EventTypeName, Nullable } from "../schemas/common.ts";
import { requireEndpoint } from "./endpoints.ts";

const tags = ["Endpoint"];
const Code = Type.String({ minLength: 10, maxLength: 51_200 });
const Variables = Nullable(Type.Record(Type.String(), Type.String()));

const TransformationOut = Type.Object({
  code: Nullable(Type.String()),
  enabled: Type.Boolean(),
  variables: Variables,
  updatedAt: Nullable(DateTime),
});

/** Refuses code that does not compile or defines no handler, naming the field (and the line). */
async function checkCode(code: string): Promise<void> {
  const problem = await checkTransformationAsync(code);
  if (problem) throw new FieldError(["body", "code"], problem.message);
}

/**
 * Hosted Svix's endpoint transformations: JavaScript `handler(webhook)` run in the QuickJS
 * sandbox (src/transform/) before each delivery, which may change method, URL and payload or
 * cancel the message. `simulate` runs code on a sample without saving or sending anything.
 */
export async function endpointTransformationRoutes(app: Api, context: ApiContext): Promise<void> {
  const { store, clock, operationalEvents } = context;
  const config = { access: "app" as const };
  const path = "/api/v1/app/:app_id/endpoint/:endpoint_id/transformation";

  app.get(
    path,
    { schema: { tags, operationId: "v1.endpoint.transformation.get", params: EndpointParams, response: { 200: TransformationOut } }, config },
    async (request) => {
      const { transformation } = (await requireEndpoint(context, request, request.params)).endpoint;
      return { ...transformation, updatedAt: transformation.updatedAt === null ? null : new Date(transformation.updatedAt).toISOString() };
    },
  );

  app.patch(
    path,
    {
      schema: {
        tags,
        operationId: "v1.endpoint.transformation.patch",
        params: EndpointParams,
        body: Type.Object({ code: Type.Optional(Nullable(Code)), enabled: Type.Optional(Type.Boolean()), variables: Type.Optional(Variables) }),
      },
      config,
    },
    async (request, reply) => {
      const { app: application, endpoint } = await requireEndpoint(context, request, request.params);
      const body = request.body;
      if (typeof body.code === "string") await checkCode(body.code);
      const current = endpoint.transformation;
      const code = body.code !== undefined ? body.code : current.code;
      const enabled = body.enabled ?? current.enabled;
      if (enabled && code === null) throw new FieldError(["body", "enabled"], "a transformation without code cannot be enabled");
      const now = clock.now();
      const updated: Endpoint = {
        ...endpoint,
        transformation: { code, enabled, variables: body.variables !== undefined ? body.variables : current.variables, updatedAt: now },
        version: endpoint.version + 1,
        updatedAt: now,
      };
      await store.updateEndpoint(updated);
      await operationalEvents.emit("endpoint.updated", endpointEventData(application, updated));
      return reply.code(204).send();
    },
  );

  app.post(
    `${path}/simulate`,
    {
      schema: {
        tags,
        operationId: "v1.endpoint.transformation.simulate",
        params: EndpointParams,
        body: Type.Object({
          code: Code,
          eventType: EventTypeName,
          payload: AnyObject,
          channels: Type.Optional(Nullable(Type.Array(Type.String({ maxLength: 128 })))),
          variables: Type.Optional(Variables),
        }),
        response: {
          200: Type.Object({ url: Type.String(), payload: Type.String(), method: Nullable(Type.String()), cancel: Type.Boolean() }),
        },
      },
      config,
    },
    async (request) => {
      const { endpoint } = await requireEndpoint(context, request, request.params);
      await checkCode(request.body.code);
      try {
        const result = await runTransformationAsync(request.body.code, {
          method: "POST",
          url: endpoint.url,
          payload: request.body.payload,
          eventType: request.body.eventType,
          variables: request.body.variables ?? endpoint.transformation.variables,
        });
        if (result.url !== endpoint.url) {
          const check = checkEndpointUrl(result.url, context.addressPolicy);
          if (!check.ok) throw new FieldError(["body", "code"], `the transformation sets a URL Herald may not call: ${check.reason}`);
        }
        return { url: result.url, payload: JSON.stringify(result.payload), method: result.method, cancel: result.cancel };
      } catch (error) {
        if (error instanceof TransformationError) throw new FieldError(["body", "code"], error.message);
        throw error;
      }
    },
  );
}
