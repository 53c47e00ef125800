import { Type } from "@sinclair/typebox";

import type { Attempt } from "../../domain/types.ts";
import { MESSAGE_STATUS } from "../../domain/types.ts";
import type { EndpointDeliveryStatus } from "../../store/store.ts";
import type { Api, ApiContext } from "../context.ts";
import { FieldError } from "../errors.ts";
import { parseDateTime } from "../pagination.ts";
import { DateTime, EndpointParams, Nullable } from "../schemas/common.ts";
import { requireEndpoint } from "./endpoints.ts";

const tags = ["Endpoint"];

const EventBatchOut = Type.Object({
  status: Type.Union([Type.Literal("success"), Type.Literal("failure")]),
  httpStatus: Nullable(Type.Integer()),
  errorMessage: Nullable(Type.String()),
  size: Type.Integer(),
  attempts: Type.Integer(),
});

/** Grist's webhook `usage`, times in epoch milliseconds as Grist reports them. */
const EndpointStatusOut = Type.Object({
  status: Type.Union(["idle", "sending", "retrying", "error"].map((status) => Type.Literal(status))),
  numWaiting: Type.Integer(),
  updatedTime: Nullable(Type.Integer()),
  lastSuccessTime: Nullable(Type.Integer()),
  lastFailureTime: Nullable(Type.Integer()),
  lastErrorMessage: Nullable(Type.String()),
  lastHttpStatus: Nullable(Type.Integer()),
  lastEventBatch: Nullable(EventBatchOut),
});

/** An attempt's response code as Grist shows it: null when no response came back. */
const httpStatusOf = (attempt: Attempt) => (attempt.responseStatusCode === 0 ? null : attempt.responseStatusCode);

function statusOut(disabled: boolean, queue: EndpointDeliveryStatus) {
  const { lastAttempt, lastSuccess, lastFailure } = queue;
  const status = disabled ? "error" : queue.retrying ? "retrying" : queue.numWaiting > 0 ? "sending" : "idle";
  return {
    status,
    numWaiting: queue.numWaiting,
    updatedTime: lastAttempt?.createdAt ?? null,
    lastSuccessTime: lastSuccess?.createdAt ?? null,
    lastFailureTime: lastFailure?.createdAt ?? null,
    lastErrorMessage: lastFailure?.response ?? null,
    lastHttpStatus: lastFailure ? httpStatusOf(lastFailure) : null,
    lastEventBatch: lastAttempt && {
      status: lastAttempt.status === MESSAGE_STATUS.success ? ("success" as const) : ("failure" as const),
      httpStatus: httpStatusOf(lastAttempt),
      errorMessage: lastAttempt.status === MESSAGE_STATUS.success ? null : lastAttempt.response,
      size: lastAttempt.batchSize,
      attempts: lastAttempt.attemptNumber,
    },
  };
}

/**
 * An endpoint's queue: hosted Svix's cancel-msgs (Grist "clear queue") and rate-limit-status, and
 * Grist-style status.
 */
export async function endpointQueueRoutes(app: Api, context: ApiContext): Promise<void> {
  const { store, clock } = context;
  const config = { access: "app" as const };

  app.post(
    "/api/v1/app/:app_id/endpoint/:endpoint_id/cancel-msgs",
    {
      schema: {
        tags,
        operationId: "v1.endpoint.cancel-msgs",
        summary: "Cancel pending messages created before a time (clears the endpoint's queue)",
        params: EndpointParams,
        body: Type.Object({ createdBefore: DateTime }),
      },
      config,
    },
    async (request, reply) => {
      const { app: application, endpoint } = await requireEndpoint(context, request, request.params);
      const createdBefore = parseDateTime(request.body.createdBefore);
      if (Number.isNaN(createdBefore)) throw new FieldError(["body", "createdBefore"], "not a valid date-time");
      const canceled = await store.cancelEndpointMessages(application.id, endpoint.id, createdBefore, clock.now());
      request.log.info({ appId: application.id, endpointId: endpoint.id, canceled }, "endpoint messages canceled");
      return reply.code(204).send();
    },
  );

  app.get(
    "/api/v1/app/:app_id/endpoint/:endpoint_id/status",
    {
      schema: {
        tags,
        operationId: "v1.endpoint.status",
        summary: "What the endpoint's queue holds and how its latest requests went (Grist webhook usage)",
        params: EndpointParams,
        response: { 200: EndpointStatusOut },
      },
      config,
    },
    async (request) => {
      const { app: application, endpoint } = await requireEndpoint(context, request, request.params);
      return statusOut(endpoint.disabled, await store.getEndpointDeliveryStatus(application.id, endpoint.id, clock.now()));
    },
  );

  app.get(
    "/api/v1/app/:app_id/endpoint/:endpoint_id/rate-limit-status",
    {
      schema: {
        tags,
        operationId: "v1.endpoint.get-throttling-status",
        params: EndpointParams,
        response: {
          200: Type.Object({ status: Type.Union([Type.Literal("Ok"), Type.Literal("RateLimited")]), throttledSince: Nullable(DateTime) }),
        },
      },
      config,
    },
    async (request) => {
      const { app: application, endpoint } = await requireEndpoint(context, request, request.params);
      // throttledSince is set by the latest slot reservation that had to wait; it only counts while
      // deliveries are still queued behind the limit.
      const { numWaiting } = await store.getEndpointDeliveryStatus(application.id, endpoint.id, clock.now());
      const limited = endpoint.throttledSince !== null && numWaiting > 0;
      return {
        status: limited ? ("RateLimited" as const) : ("Ok" as const),
        throttledSince: limited ? new Date(endpoint.throttledSince!).toISOString() : null,
      };
    },
  );
}
