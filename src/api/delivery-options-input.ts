import type { FastifyRequest } from "fastify";

import { checkBodyOption } from "../delivery/request-body.ts";
import type { DeliveryOptionName, DeliveryOptions, ProfileName, ResolvedDeliveryOptions } from "../domain/delivery-options.ts";
import { DELIVERY_OPTION_NAMES } from "../domain/delivery-options.ts";
import { checkCustomHeader } from "../domain/endpoint-headers.ts";
import type { StringMap } from "../domain/types.ts";
import { checkFilter } from "../filter/message-filter.ts";
import { resolveDeliveryOptions, type ServerDeliveryDefaults, TRACKDECHETS_AUTHORIZATION } from "../profiles/profiles.ts";
import { FieldError, HttpError } from "./errors.ts";

/**
 * Endpoint delivery options from a request body: merged the way the request asks (a new endpoint
 * or PUT starts from nothing, PATCH from the current values), then checked beyond what the JSON
 * schema can say: templates and filters must compile, signature headers must be settable, and the
 * options (with the profile's defaults filled in) must not contradict each other. Every failure
 * is a 422 naming the field.
 */

/**
 * An app token (a consumer, through the portal) may set only the options the operator lets
 * consumers edit (HERALD_PORTAL_EDITABLE_OPTIONS); the admin token may set any.
 */
export function assertEditableByCaller(request: FastifyRequest, body: DeliveryOptionsBody, editable: readonly DeliveryOptionName[]): void {
  if (request.principal?.kind !== "app") return;
  const refused = DELIVERY_OPTION_NAMES.filter((name) => body[name] !== undefined && !editable.includes(name));
  if (refused.length > 0) throw new HttpError("forbidden", `This server does not let consumers set ${refused.join(", ")}`);
}

export type DeliveryOptionsBody = { profile?: ProfileName } & { [K in keyof DeliveryOptions]?: DeliveryOptions[K] | null };

export interface EndpointDelivery {
  profile: ProfileName;
  options: DeliveryOptions;
}

export function deliveryFromInput(
  body: DeliveryOptionsBody,
  current: EndpointDelivery | null,
  headers: StringMap,
  server: ServerDeliveryDefaults,
): EndpointDelivery {
  const profile = body.profile ?? current?.profile ?? "standard";
  const options: Record<string, unknown> = { ...current?.options };
  for (const name of DELIVERY_OPTION_NAMES) {
    const value = body[name];
    if (value === null) delete options[name];
    else if (value !== undefined) options[name] = value;
  }
  const explicit = options as DeliveryOptions;
  checkExplicitOptions(explicit);
  checkCoherence(profile, resolveDeliveryOptions(profile, explicit, server), explicit, headers);
  return { profile, options: explicit };
}

function checkExplicitOptions(options: DeliveryOptions): void {
  if (options.body) {
    const problem = checkBodyOption(options.body);
    if (problem) throw new FieldError(["body", "body", ...problem.path], problem.message);
  }
  if (options.filter) {
    const problem = checkFilter(options.filter);
    if (problem) throw new FieldError(["body", "filter", ...problem.path], problem.message);
  }
  if (options.signatures) {
    const seen = new Set<string>();
    options.signatures.forEach((signature, index) => {
      const key = signature.scheme === "hmac-sha256" ? `hmac:${signature.header.toLowerCase()}` : signature.scheme;
      if (seen.has(key)) throw new FieldError(["body", "signatures", index], `signature scheme "${signature.scheme}" is listed twice`);
      seen.add(key);
      if (signature.scheme === "hmac-sha256") {
        const problem = checkCustomHeader(signature.header, "");
        if (problem) throw new FieldError(["body", "signatures", index, "header"], problem);
      }
    });
  }
  if (options.watchFields && new Set(options.watchFields).size !== options.watchFields.length) {
    throw new FieldError(["body", "watchFields"], "watch fields must be unique");
  }
}

/** Options that cannot work together, judged on what the delivery will actually use. */
function checkCoherence(profile: ProfileName, resolved: ResolvedDeliveryOptions, explicit: DeliveryOptions, headers: StringMap): void {
  if (resolved.batch !== null) {
    if ("fields" in resolved.body && resolved.body.format === "form") {
      throw new FieldError(["body", "batch"], "a batch is a JSON array, so it cannot carry a form-urlencoded body; drop batch or use format json");
    }
    if (explicit.ordering === "none") {
      throw new FieldError(["body", "ordering"], 'batched deliveries are always in order; ordering "none" contradicts batch');
    }
  }
  if (resolved.retryForever && resolved.retrySchedule.length === 0) {
    throw new FieldError(["body", "retryForever"], "retryForever repeats the last delay of retrySchedule, which is empty");
  }
  if (profile === "trackdechets") {
    const authorization = Object.entries(headers).find(([name]) => name.toLowerCase() === "authorization")?.[1];
    if (authorization === undefined || !TRACKDECHETS_AUTHORIZATION.test(authorization)) {
      throw new FieldError(
        ["body", "headers", "Authorization"],
        'the trackdechets profile needs header Authorization: "Bearer: <token>" (colon included, token of 20 to 100 characters)',
      );
    }
  }
}

/** The wire view of an endpoint's options: each explicit value, null where the profile's applies. */
export function explicitOptionsOut(options: DeliveryOptions): { [K in keyof ResolvedDeliveryOptions]: ResolvedDeliveryOptions[K] | null } {
  return Object.fromEntries(DELIVERY_OPTION_NAMES.map((name) => [name, options[name] ?? null])) as {
    [K in keyof ResolvedDeliveryOptions]: ResolvedDeliveryOptions[K] | null;
  };
}
