import { Type } from "@sinclair/typebox";

import type { Api, ApiContext } from "../context.ts";
import { notFound } from "../errors.ts";
import { EventTypeName, Nullable } from "../schemas/common.ts";

const tags = ["Event Type"];
const MAX_DELAY_SECONDS = 86_400;

/** Svix's `Duration`; Herald also takes plain seconds. */
const DurationIn = Type.Union([
  Type.Object({ secs: Type.Integer({ minimum: 0, maximum: MAX_DELAY_SECONDS }), nanos: Type.Optional(Type.Integer({ minimum: 0, maximum: 999_999_999 })) }),
  Type.Integer({ minimum: 0, maximum: MAX_DELAY_SECONDS }),
]);
const RetryScheduleIn = Type.Object({ retrySchedule: Type.Optional(Nullable(Type.Array(DurationIn, { maxItems: 50 }))) });
const RetryScheduleOut = Type.Object({ retrySchedule: Nullable(Type.Array(Type.Object({ secs: Type.Integer(), nanos: Type.Integer() }))) });

const out = (schedule: number[] | null) => ({ retrySchedule: schedule && schedule.map((secs) => ({ secs, nanos: 0 })) });

/**
 * Hosted Svix's per-event-type retry schedule: deliveries of messages of this type retry on it,
 * unless their endpoint sets its own `retrySchedule` (the endpoint's choice is the more specific).
 * Delays are whole seconds; sub-second `nanos` are rounded up.
 */
export async function eventTypeRetryRoutes(app: Api, context: ApiContext): Promise<void> {
  const { store, clock } = context;
  const Params = Type.Object({ event_type_name: EventTypeName });

  async function requireEventType(name: string) {
    const eventType = await store.getEventType(name);
    if (!eventType) throw notFound("Event type");
    return eventType;
  }

  app.get(
    "/api/v1/event-type/:event_type_name/retry-schedule",
    { schema: { tags, operationId: "v1.event-type.get-retry-schedule", params: Params, response: { 200: RetryScheduleOut } } },
    async (request) => out((await requireEventType(request.params.event_type_name)).retrySchedule),
  );

  app.put(
    "/api/v1/event-type/:event_type_name/retry-schedule",
    { schema: { tags, operationId: "v1.event-type.set-retry-schedule", params: Params, body: RetryScheduleIn, response: { 200: RetryScheduleOut } } },
    async (request) => {
      const eventType = await requireEventType(request.params.event_type_name);
      const schedule = request.body.retrySchedule
        ? request.body.retrySchedule.map((delay) => (typeof delay === "number" ? delay : delay.secs + Math.ceil((delay.nanos ?? 0) / 1e9)))
        : null;
      await store.updateEventType({ ...eventType, retrySchedule: schedule, updatedAt: clock.now() });
      return out(schedule);
    },
  );
}
