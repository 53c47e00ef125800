import { type TSchema, Type } from "@sinclair/typebox";

/** Building blocks shared by the route schemas. Patterns and limits are Svix's (`svix-openapi.json`). */

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const UID_PATTERN = "^[a-zA-Z0-9\\-_.]+$";
export const Uid = Type.String({ minLength: 1, maxLength: 256, pattern: UID_PATTERN });
export const EventTypeName = Type.String({ minLength: 1, maxLength: 256, pattern: UID_PATTERN });
/** Endpoint filters also take Herald's wildcards: `*` and `group.*`. */
export const EventTypeFilter = Type.String({ minLength: 1, maxLength: 256, pattern: "^(\\*|[a-zA-Z0-9\\-_.]+(\\.\\*)?)$" });
export const Channel = Type.String({ minLength: 1, maxLength: 128, pattern: "^[a-zA-Z0-9\\-_.:+]+$" });
export const Metadata = Type.Record(Type.String(), Type.String());
export const DateTime = Type.String({ format: "date-time" });
export const ThrottleRate = Type.Integer({ minimum: 1, maximum: 65535 });
export const SecretKey = Type.String({ pattern: "^(whsec_)?[a-zA-Z0-9+/=]{32,100}$" });
export const AnyObject = Type.Unsafe<Record<string, unknown>>({ type: "object", additionalProperties: true });

export const MessageStatusSchema = Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Literal(4)], {
  description: "0 success, 1 pending, 2 fail, 3 sending, 4 canceled",
});
export const MessageStatusTextSchema = Type.Union(["success", "pending", "fail", "sending", "canceled"].map((s) => Type.Literal(s)));

export const ErrorOut = Type.Object({ code: Type.String(), detail: Type.String() });
export const ValidationErrorOut = Type.Object({
  detail: Type.Array(
    Type.Object({ loc: Type.Array(Type.Union([Type.String(), Type.Integer()])), msg: Type.String(), type: Type.String() }),
  ),
});

export const ListOut = <T extends TSchema>(item: T) =>
  Type.Object({
    data: Type.Array(item),
    iterator: Nullable(Type.String()),
    prevIterator: Nullable(Type.String()),
    done: Type.Boolean(),
  });

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 250, default: 50 })),
  iterator: Type.Optional(Nullable(Type.String({ maxLength: 300 }))),
};
export const OrderQuery = { order: Type.Optional(Type.Union([Type.Literal("ascending"), Type.Literal("descending")])) };

/** `event_types` arrives as `a,b`, repeated `event_types=a&event_types=b`, or `event_types[]=a`. */
export const EventTypesQuery = Type.Optional(Type.Array(Type.String({ maxLength: 256 })));

export const AppParams = Type.Object({ app_id: Type.String({ minLength: 1, maxLength: 256 }) });
export const EndpointParams = Type.Object({
  app_id: Type.String({ minLength: 1, maxLength: 256 }),
  endpoint_id: Type.String({ minLength: 1, maxLength: 256 }),
});
export const MessageParams = Type.Object({
  app_id: Type.String({ minLength: 1, maxLength: 256 }),
  msg_id: Type.String({ minLength: 1, maxLength: 256 }),
});

export const EmptyOut = Type.Object({});
