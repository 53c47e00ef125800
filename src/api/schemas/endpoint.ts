import { Type } from "@sinclair/typebox";

import { Channel, DateTime, EventTypeFilter, Metadata, Nullable, SecretKey, ThrottleRate, Uid } from "./common.ts";
import { DeliveryOptionFields, DeliveryOptionOutFields } from "./delivery-options.ts";

const EventTypeList = Nullable(Type.Array(EventTypeFilter, { maxItems: 1000 }));
const ChannelList = Nullable(Type.Array(Channel, { minItems: 1, maxItems: 10 }));
export const HeaderMap = Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Type.String({ maxLength: 8192 }));

const endpointFields = {
  description: Type.Optional(Type.String({ maxLength: 4096 })),
  uid: Type.Optional(Nullable(Uid)),
  disabled: Type.Optional(Type.Boolean()),
  eventTypes: Type.Optional(EventTypeList),
  filterTypes: Type.Optional(EventTypeList),
  channels: Type.Optional(ChannelList),
  throttleRate: Type.Optional(Nullable(ThrottleRate)),
  rateLimit: Type.Optional(Nullable(ThrottleRate)),
  metadata: Type.Optional(Metadata),
  ...DeliveryOptionFields,
};

export const EndpointIn = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 65536 }),
  ...endpointFields,
  secret: Type.Optional(Nullable(SecretKey)),
  headers: Type.Optional(Nullable(HeaderMap)),
});

export const EndpointUpdate = Type.Object({ url: Type.String({ minLength: 1, maxLength: 65536 }), ...endpointFields });

export const EndpointPatch = Type.Object({
  url: Type.Optional(Type.String({ minLength: 1, maxLength: 65536 })),
  ...endpointFields,
  secret: Type.Optional(Nullable(SecretKey)),
});

/** What an endpoint has in Svix's API (operational-webhook endpoints and message destinations use it). */
export const SvixEndpointOut = Type.Object({
  id: Type.String(),
  uid: Nullable(Type.String()),
  url: Type.String(),
  description: Type.String(),
  disabled: Type.Boolean(),
  eventTypes: Nullable(Type.Array(Type.String())),
  filterTypes: Nullable(Type.Array(Type.String())),
  channels: Nullable(Type.Array(Type.String())),
  throttleRate: Nullable(Type.Integer()),
  rateLimit: Nullable(Type.Integer()),
  version: Type.Integer(),
  metadata: Metadata,
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const EndpointOut = Type.Object({ ...SvixEndpointOut.properties, ...DeliveryOptionOutFields });
