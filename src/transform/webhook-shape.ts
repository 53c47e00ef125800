// The object a transformation's handler receives and must return, as JSON on both sides: the
// sandbox only ever sees the JSON text of the input and only ever hands back the JSON text of
// the result, which is validated here field by field.

import { jsonDepthOver, MAX_JSON_DEPTH } from "../domain/json-limits.ts";
import { TransformationError } from "./transformation-error.ts";

export type TransformationMethod = "POST" | "PUT";

/** What Herald would send; `handler` gets it plus `cancel: false`. */
export interface WebhookInput {
  method: TransformationMethod;
  url: string;
  payload: unknown;
  eventType: string;
  /** The endpoint's transformation variables (`webhook.variables`), e.g. a receiver's API key. */
  variables?: Record<string, string> | null;
}

/**
 * The largest result, twice the largest request body Herald accepts: one small message must not
 * become many megabytes sent, retried and logged.
 */
export const MAX_TRANSFORMATION_OUTPUT_BYTES = 2 * 1024 * 1024;

/** What the handler decided. The caller re-checks `url` against the address policy before sending. */
export interface WebhookOutput {
  method: TransformationMethod;
  url: string;
  payload: unknown;
  /** Skip the delivery; the attempt is recorded as successful (Svix and Codat behaviour). */
  cancel: boolean;
}

/** The JSON text parsed inside the sandbox to build the handler's argument. */
export function serializeWebhookInput(input: WebhookInput): string {
  const { method, url, payload, eventType } = input;
  return JSON.stringify({ method, url, payload, eventType, variables: input.variables ?? {}, cancel: false });
}

/** Validates the JSON text of the handler's result; extra fields (eventType, …) are ignored. */
export function parseWebhookOutput(json: string): WebhookOutput {
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes > MAX_TRANSFORMATION_OUTPUT_BYTES) {
    throw new TransformationError(`handler returned ${bytes} bytes of JSON; the limit is ${MAX_TRANSFORMATION_OUTPUT_BYTES} bytes (2 MiB)`);
  }
  if (jsonDepthOver(json, MAX_JSON_DEPTH)) throw new TransformationError(`handler returned JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  const value: unknown = JSON.parse(json);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TransformationError(`handler must return the webhook object, got ${describeType(value)}`);
  }
  const result = value as Record<string, unknown>;
  const { method, url, cancel } = result;
  if (method !== "POST" && method !== "PUT") {
    throw new TransformationError(`webhook.method must be "POST" or "PUT", got ${describeValue(method)}`);
  }
  if (typeof url !== "string") throw new TransformationError(`webhook.url must be a string, got ${describeValue(url)}`);
  if (!isHttpUrl(url)) throw new TransformationError(`webhook.url must be an absolute http(s) URL, got ${describeValue(url)}`);
  // JSON.stringify drops undefined, functions and symbols, so a missing key means one of those.
  if (!("payload" in result)) {
    throw new TransformationError("webhook.payload must be a JSON value, got undefined (or a function)");
  }
  if (typeof cancel !== "boolean") {
    throw new TransformationError(`webhook.cancel must be true or false, got ${describeValue(cancel)}`);
  }
  return { method, url, payload: result.payload, cancel };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  const text = JSON.stringify(value);
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
