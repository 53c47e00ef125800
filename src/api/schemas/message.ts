import { Type } from "@sinclair/typebox";

import { AnyObject, Channel, DateTime, EventTypeName, Metadata, Nullable, Uid } from "./common.ts";

export const MessageOut = Type.Object({
  id: Type.String(),
  eventId: Nullable(Type.String()),
  eventType: Type.String(),
  payload: AnyObject,
  channels: Nullable(Type.Array(Type.String())),
  timestamp: DateTime,
  metadata: Metadata,
  previous: Nullable(AnyObject),
});

export const MessageChannels = Nullable(Type.Array(Channel, { minItems: 1, maxItems: 5 }));

export const MessageIn = Type.Object({
  eventType: EventTypeName,
  payload: Type.Optional(AnyObject),
  /** Legacy alias of payload. */
  data: Type.Optional(AnyObject),
  eventId: Type.Optional(Nullable(Uid)),
  channels: Type.Optional(MessageChannels),
  /** Herald extension: strings for filters, templates and the Dastra body (metadata.userId). */
  metadata: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Type.String({ maxLength: 4096 }), { maxProperties: 64 })),
  /** Herald extension: the object's state before this event, for watchFields/readyField and filters. */
  previous: Type.Optional(Nullable(AnyObject)),
  payloadRetentionPeriod: Type.Optional(Type.Integer({ minimum: 5, maximum: 90, default: 90 })),
  application: Type.Optional(
    Nullable(
      Type.Object({
        name: Type.String({ minLength: 1, maxLength: 256 }),
        uid: Type.Optional(Nullable(Uid)),
        throttleRate: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 65535 }))),
        metadata: Type.Optional(Type.Record(Type.String(), Type.String())),
      }),
    ),
  ),
});
