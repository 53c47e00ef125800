import { Type } from "@sinclair/typebox";

import { newId } from "../../domain/ids.ts";
import { DAY_MS } from "../../domain/retention.ts";
import type { Message } from "../../domain/types.ts";
import type { Job } from "../../store/store.ts";
import type { Api, ApiContext } from "../context.ts";
import { assertAppScope, findApp, requireApp } from "../context.ts";
import { FieldError, HttpError, notFound } from "../errors.ts";
import { parseTime, splitList, toListOut, toPageRequest } from "../pagination.ts";
import { rawMember } from "../raw-json.ts";
import { AppParams, DateTime, EventTypesQuery, ListOut, MessageParams, PageQuery } from "../schemas/common.ts";
import { MessageIn, MessageOut } from "../schemas/message.ts";
import { messageOut } from "../serializers.ts";
import { newApplication } from "./applications.ts";

const tags = ["Message"];
const WithContent = Type.Optional(Type.Boolean({ default: true }));

export async function messageRoutes(app: Api, context: ApiContext): Promise<void> {
  const { store, clock } = context;
  const config = { access: "app" as const };

  app.get(
    "/api/v1/app/:app_id/msg",
    {
      schema: {
        tags,
        operationId: "v1.message.list",
        params: AppParams,
        querystring: Type.Object({
          ...PageQuery,
          channel: Type.Optional(Type.String({ maxLength: 128 })),
          before: Type.Optional(DateTime),
          after: Type.Optional(DateTime),
          with_content: WithContent,
          event_types: EventTypesQuery,
        }),
        response: { 200: ListOut(MessageOut) },
      },
      config,
    },
    async (request) => {
      const application = await requireApp(context, request, request.params.app_id);
      const query = request.query;
      const page = await store.listMessages(application.id, {
        page: toPageRequest(query, "descending"),
        channel: query.channel,
        eventTypes: splitList(query.event_types),
        before: parseTime(query.before),
        after: parseTime(query.after),
      });
      return toListOut(page, (message) => messageOut(message, query.with_content ?? true));
    },
  );

  app.post(
    "/api/v1/app/:app_id/msg",
    {
      schema: {
        tags,
        operationId: "v1.message.create",
        params: AppParams,
        querystring: Type.Object({ with_content: WithContent }),
        body: MessageIn,
        response: { 202: MessageOut },
      },
      config,
    },
    async (request, reply) => {
      const body = request.body;
      const now = clock.now();
      let application = await findApp(context, request.params.app_id);
      if (!application && body.application) {
        // Inline creation: the application named in the path is created on first use. Creating
        // applications is admin-only, so an app-scoped token must not get here (and the check
        // cannot wait for requireApp below, which runs after the insert).
        if (request.principal?.kind !== "admin") throw new HttpError("forbidden", "Only the admin token can create applications");
        if (body.application.uid && body.application.uid !== request.params.app_id) {
          throw new FieldError(["body", "application", "uid"], "application.uid must equal the app_id in the path");
        }
        application = newApplication({ ...body.application, uid: request.params.app_id }, now);
        await store.createApplication(application);
      }
      if (!application) throw notFound("Application");
      assertAppScope(request, application);

      const field = body.payload !== undefined ? "payload" : "data";
      const payload = body.payload ?? body.data;
      if (payload === undefined) throw new FieldError(["body", "payload"], "field required", "value_error.missing");
      const message: Message = {
        id: newId("message", now),
        appId: application.id,
        eventId: body.eventId ?? null,
        eventType: body.eventType,
        payload: (request.rawBody && rawMember(request.rawBody, field)) || JSON.stringify(payload),
        channels: body.channels ?? null,
        metadata: body.metadata ?? {},
        previous: body.previous ?? null,
        createdAt: now,
        expiresAt: now + (body.payloadRetentionPeriod ?? 90) * DAY_MS,
      };
      await acceptMessage(context, message);
      return reply.code(202).send(messageOut(message, request.query.with_content ?? true));
    },
  );

  app.get(
    "/api/v1/app/:app_id/msg/:msg_id",
    {
      schema: { tags, operationId: "v1.message.get", params: MessageParams, querystring: Type.Object({ with_content: WithContent }), response: { 200: MessageOut } },
      config,
    },
    async (request) => {
      const application = await requireApp(context, request, request.params.app_id);
      const message = await store.getMessage(application.id, request.params.msg_id);
      if (!message) throw notFound("Message");
      return messageOut(message, request.query.with_content ?? true);
    },
  );

  app.delete(
    "/api/v1/app/:app_id/msg/:msg_id/content",
    { schema: { tags, operationId: "v1.message.expunge-content", params: MessageParams }, config },
    async (request, reply) => {
      const application = await requireApp(context, request, request.params.app_id);
      const message = await store.getMessage(application.id, request.params.msg_id);
      if (!message) throw notFound("Message");
      await store.expungeMessageContent(application.id, message.id);
      return reply.code(204).send();
    },
  );
}

/**
 * Stores the message; with room in this process's worker, its fan-out job is leased to it and the
 * fan-out starts at once, with the message in hand (no claim, no read); otherwise any worker
 * claims it from the queue.
 */
async function acceptMessage(context: ApiContext, message: Message): Promise<void> {
  const slot = context.reserveFanOut();
  let job: Job | null;
  try {
    job = await context.store.createMessage(message, slot?.lease);
  } catch (error) {
    slot?.release();
    throw error;
  }
  if (slot && job) {
    slot.start(job, message);
  } else {
    slot?.release();
    context.notifyWork();
  }
}
