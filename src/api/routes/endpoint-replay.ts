import { type Static, Type } from "@sinclair/typebox";

import { newId } from "../../domain/ids.ts";
import type { BackgroundTask, BackgroundTaskKind } from "../../domain/types.ts";
import type { Api, ApiContext } from "../context.ts";
import { FieldError } from "../errors.ts";
import { parseDateTime } from "../pagination.ts";
import { Channel, DateTime, EndpointParams, EventTypeName, MessageStatusSchema, Nullable } from "../schemas/common.ts";
import { backgroundTaskOut } from "../serializers.ts";
import { requireEndpoint } from "./endpoints.ts";

const tags = ["Endpoint"];
/** Svix refuses windows longer than this. */
const MAX_WINDOW_MS = 14 * 24 * 60 * 60 * 1000 + 5 * 60 * 1000;

export const BackgroundTaskOut = Type.Object({
  id: Type.String(),
  status: Type.String(),
  task: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
  updatedAt: DateTime,
});

const WindowIn = { since: DateTime, until: Type.Optional(Nullable(DateTime)) };
const BulkReplayIn = Type.Object({
  ...WindowIn,
  eventTypes: Type.Optional(Nullable(Type.Array(EventTypeName, { uniqueItems: true, maxItems: 1000 }))),
  channel: Type.Optional(Nullable(Channel)),
  tag: Type.Optional(Nullable(Type.String({ maxLength: 128 }))),
  status: Type.Optional(Nullable(MessageStatusSchema)),
});

/**
 * Re-sending an endpoint's messages over a time window, each as a background task a worker runs
 * (GET /api/v1/background-task shows its progress):
 * - `recover`: messages whose delivery failed and never succeeded;
 * - `replay-missing` (hosted Svix): messages the endpoint never got (sent while it was disabled,
 *   before it existed or subscribed) that match its filters today;
 * - `bulk-replay` (hosted Svix): messages it did get, filtered by event types, channel and status.
 */
export async function endpointReplayRoutes(app: Api, context: ApiContext): Promise<void> {
  const { store, clock } = context;
  const config = { access: "app" as const };

  function window(body: { since: string; until?: string | null }): { since: number; until: number } {
    const since = parseDateTime(body.since);
    const until = body.until ? parseDateTime(body.until) : clock.now();
    if (until < since) throw new FieldError(["body", "until"], "until must not be before since");
    if (until - since > MAX_WINDOW_MS) throw new FieldError(["body", "since"], "Cannot replay more than 14 days of messages");
    return { since, until };
  }

  async function startTask(appId: string, kind: BackgroundTaskKind, data: Record<string, unknown>): Promise<BackgroundTask> {
    const now = clock.now();
    const task: BackgroundTask = { id: newId("backgroundTask", now), kind, status: "running", data: { appId, ...data }, createdAt: now, updatedAt: now };
    await store.createBackgroundTask(task, appId);
    context.notifyWork();
    return task;
  }

  const routes = [
    { path: "recover", operationId: "v1.endpoint.recover", kind: "endpoint.recover", body: Type.Object(WindowIn), counter: "recovered" },
    { path: "replay-missing", operationId: "v1.endpoint.replay-missing", kind: "endpoint.replay-missing", body: Type.Object(WindowIn), counter: "replayed" },
    { path: "bulk-replay", operationId: "v1.endpoint.bulk-replay", kind: "endpoint.bulk-replay", body: BulkReplayIn, counter: "replayed" },
  ] as const;

  for (const route of routes) {
    app.post(
      `/api/v1/app/:app_id/endpoint/:endpoint_id/${route.path}`,
      { schema: { tags, operationId: route.operationId, params: EndpointParams, body: route.body, response: { 202: BackgroundTaskOut } }, config },
      async (request, reply) => {
        const { app: application, endpoint } = await requireEndpoint(context, request, request.params);
        const body = request.body as Static<typeof BulkReplayIn>;
        const filters =
          route.kind === "endpoint.bulk-replay"
            ? { eventTypes: body.eventTypes ?? null, channel: body.channel ?? body.tag ?? null, status: body.status ?? null }
            : {};
        const task = await startTask(application.id, route.kind, { endpointId: endpoint.id, ...window(body), ...filters, [route.counter]: 0 });
        return reply.code(202).send(backgroundTaskOut(task));
      },
    );
  }
}
