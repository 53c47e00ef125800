import { type TNull, type TOptional, type TSchema, type TUnion, Type } from "@sinclair/typebox";

import { ACCEPT_STATUSES, HTTP_METHODS, PROFILE_NAMES } from "../../domain/delivery-options.ts";
import { Nullable } from "./common.ts";

/**
 * Herald's endpoint extensions (src/domain/delivery-options.ts). On input every one is optional and
 * `null` removes the endpoint's own value, so the profile's default applies again. Nested objects
 * refuse unknown keys, so a misspelt option is a 422 instead of being silently ignored.
 */

const closed = { additionalProperties: false } as const;
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((value) => Type.Literal(value)));

export const ProfileSchema = literals(PROFILE_NAMES);

export const DisablePolicySchema = Type.Union([
  Type.Object({ type: Type.Literal("duration"), hours: Type.Number({ exclusiveMinimum: 0, maximum: 8760 }) }, closed),
  Type.Object({ type: Type.Literal("consecutive"), allowedFailures: Type.Integer({ minimum: 0, maximum: 10_000 }) }, closed),
  Type.Object(
    {
      type: Type.Literal("window"),
      allowedFailures: Type.Integer({ minimum: 0, maximum: 10_000 }),
      resetAfterSeconds: Type.Integer({ minimum: 1, maximum: 604_800 }),
    },
    closed,
  ),
  Type.Object({ type: Type.Literal("never") }, closed),
]);

export const BodySchema = Type.Union([
  Type.Object({ preset: literals(["payload", "trackdechets", "dastra"] as const) }, closed),
  Type.Object({ template: Type.String({ minLength: 1, maxLength: 65_536 }) }, closed),
  Type.Object(
    {
      fields: Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Type.String({ minLength: 1, maxLength: 512 })),
      format: literals(["json", "form"] as const),
    },
    closed,
  ),
]);

export const SignatureSchema = Type.Union([
  Type.Object({ scheme: literals(["standard", "svix", "ed25519"] as const) }, closed),
  Type.Object(
    {
      scheme: Type.Literal("hmac-sha256"),
      header: Type.String({ minLength: 1, maxLength: 256, pattern: "^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$" }),
      encoding: literals(["base64", "hex"] as const),
    },
    closed,
  ),
]);

export const BatchSchema = Type.Object(
  { maxSize: Type.Integer({ minimum: 1, maximum: 1000 }), maxWaitMs: Type.Integer({ minimum: 0, maximum: 60_000 }) },
  closed,
);

const FieldName = Type.String({ minLength: 1, maxLength: 256 });

/** The options with their value types, before making them optional and nullable for input. */
const optionSchemas = {
  method: literals(HTTP_METHODS),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 120_000 }),
  retrySchedule: Type.Array(Type.Integer({ minimum: 0, maximum: 86_400 }), { maxItems: 50 }),
  retryForever: Type.Boolean(),
  acceptStatus: literals(ACCEPT_STATUSES),
  disablePolicy: DisablePolicySchema,
  body: BodySchema,
  signatures: Type.Array(SignatureSchema, { maxItems: 8 }),
  batch: BatchSchema,
  ordering: literals(["fifo", "none"] as const),
  filter: Type.Record(Type.String(), Type.Unknown()),
  watchFields: Type.Array(FieldName, { minItems: 1, maxItems: 100 }),
  readyField: FieldName,
};

type OptionSchemas = typeof optionSchemas;
type NullableOptions = { [K in keyof OptionSchemas]: TUnion<[OptionSchemas[K], TNull]> };
type OptionalNullableOptions = { [K in keyof OptionSchemas]: TOptional<TUnion<[OptionSchemas[K], TNull]>> };

function mapOptions<T>(wrap: (schema: TSchema) => TSchema): T {
  return Object.fromEntries(Object.entries(optionSchemas).map(([name, schema]) => [name, wrap(schema)])) as T;
}

/** Input: each option optional, null resets it to the profile's default. */
export const DeliveryOptionFields = {
  profile: Type.Optional(ProfileSchema),
  ...mapOptions<OptionalNullableOptions>((schema) => Type.Optional(Nullable(schema))),
};

/**
 * A copy of a schema without value limits. Output schemas must not refuse what the server itself
 * configured (HERALD_RETRY_SCHEDULE may hold delays longer than an endpoint may set), and the
 * serializer checks values against each branch of a union to pick one.
 */
function withoutLimits(schema: TSchema): TSchema {
  const LIMITS = new Set(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "minLength", "maxLength", "pattern"]);
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (typeof value !== "object" || value === null) return value;
    return Object.fromEntries(Object.entries(value).filter(([key]) => !LIMITS.has(key)).map(([key, inner]) => [key, strip(inner)]));
  };
  return strip(schema) as TSchema;
}

/** Output: the profile, the endpoint's own values (null when the profile's apply), and the result. */
export const DeliveryOptionOutFields = {
  profile: ProfileSchema,
  ...mapOptions<NullableOptions>((schema) => Nullable(withoutLimits(schema))),
  effectiveOptions: Type.Object(mapOptions<NullableOptions>((schema) => Nullable(withoutLimits(schema)))),
};
