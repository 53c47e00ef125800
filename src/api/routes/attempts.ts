import { type Static, type TObject, Type } from "@sinclair/typebox";

import { TRIGGER } from "../../domain/types.ts";
import type { AttemptListFilter } from "../../store/store.ts";
import type { Api, ApiContext } from "../context.ts";
import { requireApp } from "../context.ts";
import { HttpError, notFound } from "../errors.ts";
import { parseTime, splitList, toListOut, toPageRequest } from "../pagination.ts";
import {
  AppParams,
  DateTime,
  EmptyOut,
  EventTypesQuery,
  ListOut,
  MessageParams,
  MessageStatusSchema,
  Nullable,
  PageQuery,
} from "../schemas/common.ts";
import { SvixEndpointOut } from "../schemas/endpoint.ts";
import { MessageOut } from "../schemas/message.ts";
import { attemptOut, endpointMessageOut, messageEndpointOut } from "../serializers.ts";
import { requireEndpoint } from "./endpoints.ts";

const tags = ["Message Attempt"];
const StatusCodeClass = Type.Union([0, 100, 200, 300, 400, 500].map((value) => Type.Literal(value)));
const DeliveryStatus = { status: MessageStatusSchema, statusText: Type.String(), nextAttempt: Nullable(DateTime) };

const AttemptOut = Type.Object({
  id: Type.String(),
  msgId: Type.String(),
  endpointId: Type.String(),
  url: Type.String(),
  response: Type.String(),
  responseStatusCode: Type.Integer(),
  responseDurationMs: Type.Integer(),
  status: MessageStatusSchema,
  statusText: Type.String(),
  triggerType: Type.Integer(),
  timestamp: DateTime,
  attemptNumber: Type.Integer(),
  request: Type.Object({
    method: Type.String(),
    url: Type.String(),
    headers: Type.Record(Type.String(), Type.String()),
    body: Nullable(Type.String()),
  }),
});

const attemptFilters = {
  ...PageQuery,
  status: Type.Optional(MessageStatusSchema),
  status_code_class: Type.Optional(StatusCodeClass),
  channel: Type.Optional(Type.String({ maxLength: 128 })),
  before: Type.Optional(DateTime),
  after: Type.Optional(DateTime),
  with_content: Type.Optional(Type.Boolean({ default: true })),
  event_types: EventTypesQuery,
};

const AttemptParams = Type.Object({ ...MessageParams.properties, attempt_id: Type.String({ minLength: 1, maxLength: 256 }) });
const ResendParams = Type.Object({ ...MessageParams.properties, endpoint_id: Type.String({ minLength: 1, maxLength: 256 }) });
const EndpointScopeParams = Type.Object({ ...AppParams.properties, endpoint_id: Type.String({ minLength: 1, maxLength: 256 }) });

type AttemptQuery = Static<TObject<typeof attemptFilters>>;

/** The query filters shared by both attempt lists, as the store takes them. */
function attemptListFilter(query: AttemptQuery): AttemptListFilter {
  return {
    page: toPageRequest(query, "descending"),
    status: query.status,
    statusCodeClass: query.status_code_class,
    channel: query.channel,
    eventTypes: splitList(query.event_types),
    before: parseTime(query.before),
    after: parseTime(query.after),
  };
}

export async function attemptRoutes(app: Api, context: ApiContext): Promise<void> {
  const { store, clock } = context;
  const config = { access: "app" as const };

  async function requireMessage(appIdOrUid: string, msgIdOrEventId: string, request: Parameters<typeof requireApp>[1]) {
    const application = await requireApp(context, request, appIdOrUid);
    const message = await store.getMessage(application.id, msgIdOrEventId);
    if (!message) throw notFound("Message");
    return { application, message };
  }

  app.get(
    "/api/v1/app/:app_id/attempt/endpoint/:endpoint_id",
    {
      schema: { tags, operationId: "v1.message-attempt.list-by-endpoint", params: EndpointScopeParams, querystring: Type.Object(attemptFilters), response: { 200: ListOut(AttemptOut) } },
      config,
    },
    async (request) => {
      const { app: application, endpoint } = await requireEndpoint(context, request, request.params);
      const query = request.query;
      const page = await store.listAttempts(application.id, { ...attemptListFilter(query), endpointId: endpoint.id });
      const withContent = query.with_content ?? true;
      // An attempt that sent its message's payload as is keeps no copy of it: the page's messages
      // are read at once to show what each request carried.
      const payloads = new Map<string, string | null>();
      const unread = withContent ? [...new Set(page.items.filter((attempt) => attempt.request.body === null).map((attempt) => attempt.msgId))] : [];
      if (unread.length > 0) {
        const messages = await store.getMessagesByIds(unread.map((msgId) => ({ appId: application.id, msgId })));
        unread.forEach((msgId, index) => payloads.set(msgId, messages[index]?.payload ?? null));
      }
      return toListOut(page, (attempt) => attemptOut(attempt, withContent, payloads.get(attempt.msgId) ?? null));
    },
  );

  app.get(
    "/api/v1/app/:app_id/attempt/msg/:msg_id",
    {
      schema: {
        tags,
        operationId: "v1.message-attempt.list-by-msg",
        params: MessageParams,
        querystring: Type.Object({ ...attemptFilters, endpoint_id: Type.Optional(Type.String({ maxLength: 256 })) }),
        response: { 200: ListOut(AttemptOut) },
      },
      config,
    },
    async (request) => {
      const { application, message } = await requireMessage(request.params.app_id, request.params.msg_id, request);
      const query = request.query;
      let endpointId: string | undefined;
      if (query.endpoint_id) {
        const endpoint = await store.getEndpoint(application.id, query.endpoint_id);
        if (!endpoint) throw notFound("Endpoint");
        endpointId = endpoint.id;
      }
      const page = await store.listAttempts(application.id, { ...attemptListFilter(query), msgId: message.id, endpointId });
      return toListOut(page, (attempt) => attemptOut(attempt, query.with_content ?? true, message.payload));
    },
  );

  app.get(
    "/api/v1/app/:app_id/endpoint/:endpoint_id/msg",
    {
      schema: {
        tags,
        operationId: "v1.message-attempt.list-attempted-messages",
        params: EndpointScopeParams,
        querystring: Type.Object({
          ...PageQuery,
          channel: Type.Optional(Type.String({ maxLength: 128 })),
          status: Type.Optional(MessageStatusSchema),
          before: Type.Optional(DateTime),
          after: Type.Optional(DateTime),
          with_content: Type.Optional(Type.Boolean({ default: true })),
          event_types: EventTypesQuery,
        }),
        response: { 200: ListOut(Type.Object({ ...MessageOut.properties, ...DeliveryStatus })) },
      },
      config,
    },
    async (request) => {
      const { app: application, endpoint } = await requireEndpoint(context, request, request.params);
      const query = request.query;
      const page = await store.listDestinationsByEndpoint(application.id, endpoint.id, {
        page: toPageRequest(query, "descending"),
        status: query.status,
        channel: query.channel,
        eventTypes: splitList(query.event_types),
        before: parseTime(query.before),
        after: parseTime(query.after),
      });
      return toListOut(page, ({ destination, message }) => endpointMessageOut(destination, message, query.with_content ?? true));
    },
  );

  app.get(
    "/api/v1/app/:app_id/msg/:msg_id/endpoint",
    {
      schema: {
        tags,
        operationId: "v1.message-attempt.list-attempted-destinations",
        params: MessageParams,
        querystring: Type.Object(PageQuery),
        response: { 200: ListOut(Type.Object({ ...SvixEndpointOut.properties, ...DeliveryStatus, attemptCount: Type.Integer() })) },
      },
      config,
    },
    async (request) => {
      const { application, message } = await requireMessage(request.params.app_id, request.params.msg_id, request);
      const page = await store.listDestinationsByMessage(application.id, message.id, toPageRequest(request.query, "ascending"));
      // One read for the application's endpoints rather than one per row; deleted ones are left out.
      const endpoints = new Map((await store.listAllEndpoints(application.id)).map((endpoint) => [endpoint.id, endpoint]));
      const rows = page.items.flatMap((destination) => {
        const endpoint = endpoints.get(destination.endpointId);
        return endpoint ? [messageEndpointOut(destination, endpoint)] : [];
      });
      return { data: rows, iterator: page.iterator, prevIterator: page.prevIterator, done: page.done };
    },
  );

  app.get(
    "/api/v1/app/:app_id/msg/:msg_id/attempt/:attempt_id",
    { schema: { tags, operationId: "v1.message-attempt.get", params: AttemptParams, response: { 200: AttemptOut } }, config },
    async (request) => {
      const { application, message } = await requireMessage(request.params.app_id, request.params.msg_id, request);
      const attempt = await store.getAttempt(application.id, message.id, request.params.attempt_id);
      if (!attempt) throw notFound("Message attempt");
      return attemptOut(attempt, true, message.payload);
    },
  );

  app.delete(
    "/api/v1/app/:app_id/msg/:msg_id/attempt/:attempt_id/content",
    { schema: { tags, operationId: "v1.message-attempt.expunge-content", params: AttemptParams }, config },
    async (request, reply) => {
      const { application, message } = await requireMessage(request.params.app_id, request.params.msg_id, request);
      const attempt = await store.getAttempt(application.id, message.id, request.params.attempt_id);
      if (!attempt) throw notFound("Message attempt");
      await store.expungeAttemptContent(application.id, message.id, attempt.id);
      return reply.code(204).send();
    },
  );

  app.post(
    "/api/v1/app/:app_id/msg/:msg_id/endpoint/:endpoint_id/resend",
    { schema: { tags, operationId: "v1.message-attempt.resend", params: ResendParams, response: { 202: EmptyOut } }, config },
    async (request, reply) => {
      const { application, message } = await requireMessage(request.params.app_id, request.params.msg_id, request);
      const endpoint = await store.getEndpoint(application.id, request.params.endpoint_id);
      if (!endpoint) throw notFound("Endpoint");
      if (message.payload === null) throw new HttpError("missing_payload", "The message's content has expired or was expunged");
      await store.enqueueDeliveries([
        {
          appId: application.id,
          msgId: message.id,
          endpointId: endpoint.id,
          trigger: TRIGGER.manual,
          runAt: clock.now(),
          // Manual sends go outside the endpoint's FIFO lane: an older message joining the lane
          // would jump ahead of the head already in flight.
          ordered: false,
        },
      ]);
      context.notifyWork();
      return reply.code(202).send({});
    },
  );
}
