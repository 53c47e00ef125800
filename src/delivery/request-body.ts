import type { BodyOption } from "../domain/delivery-options.ts";
import type { Endpoint, Message } from "../domain/types.ts";
import { compileTemplate, TemplateError } from "./template.ts";
import { TEMPLATE_CONTEXT_ROOTS, type TemplateContext, templateContext } from "./template-context.ts";

/**
 * Turns a message into the request body one endpoint receives, per its `body` option
 * (see BodyOption in src/domain/delivery-options.ts). Every kind needs the payload, so an
 * expunged or expired message cannot be rendered.
 */

const JSON_CONTENT_TYPE = "application/json";
const FORM_CONTENT_TYPE = "application/x-www-form-urlencoded";
const MAX_FIELDS = 100;
const FIELD_PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export class BodyRenderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BodyRenderError";
  }
}

export interface RenderedBody {
  body: string;
  contentType: string;
}

function payloadText(message: Message): string {
  if (message.payload === null) throw new BodyRenderError("The message's content has expired or was expunged");
  return message.payload;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `[{"action":A,"id":I}]`: A = payload.action if a string, else the event type's last dot-segment upper-cased. */
function trackdechetsBody(message: Message): string {
  const payload: unknown = JSON.parse(payloadText(message));
  const fields = isRecord(payload) ? payload : {};
  const action = typeof fields.action === "string" ? fields.action : (message.eventType.split(".").pop() ?? "").toUpperCase();
  const id = Object.hasOwn(fields, "id") ? fields.id : null;
  return JSON.stringify([{ action, id }]);
}

/** Dastra's envelope, keys in Dastra's order; `data` is the payload text as posted, not re-serialised. */
function dastraBody(message: Message, endpoint: Endpoint, eventTypeDescription: string | null): string {
  const data = payloadText(message);
  const head = JSON.stringify({
    webhookId: endpoint.id,
    signatureUrl: endpoint.url,
    userId: Object.hasOwn(message.metadata, "userId") ? message.metadata.userId : null,
    eventType: message.eventType,
    eventName: eventTypeDescription || message.eventType,
  });
  const date = JSON.stringify(new Date(message.createdAt).toISOString());
  return `${head.slice(0, -1)},"data":${data},"date":${date}}`;
}

/** Follows a dotted path through own properties; array elements by index (`items.0`). Missing → null. */
export function lookupPath(context: TemplateContext, path: string): unknown {
  let current: unknown = context;
  for (const segment of path.split(".")) {
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(segment)) return null;
      current = current[Number(segment)];
    } else if (isRecord(current) && Object.hasOwn(current, segment)) {
      current = current[segment];
    } else {
      return null;
    }
    if (current === undefined) return null;
  }
  return current;
}

function formValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

function fieldsBody(fields: Record<string, string>, format: "json" | "form", context: TemplateContext): RenderedBody {
  const entries = Object.entries(fields).map(([key, path]) => [key, lookupPath(context, path)] as const);
  if (format === "form") {
    const params = new URLSearchParams();
    for (const [key, value] of entries) params.append(key, formValue(value));
    return { body: params.toString(), contentType: FORM_CONTENT_TYPE };
  }
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    // defineProperty, so a key named `__proto__` is an ordinary key.
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return { body: JSON.stringify(object), contentType: JSON_CONTENT_TYPE };
}

/**
 * The body for `message` at `endpoint`. Throws BodyRenderError, with a message fit for the
 * attempt log, when the payload is gone or a template fails.
 *
 * @example
 * renderBody({ preset: "trackdechets" }, message, endpoint, null) // {"body":"[{\"action\":\"CREATED\",\"id\":\"BSD-1\"}]", …}
 */
export function renderBody(option: BodyOption, message: Message, endpoint: Endpoint, eventTypeDescription: string | null): RenderedBody {
  if ("preset" in option) {
    switch (option.preset) {
      case "payload":
        return { body: payloadText(message), contentType: JSON_CONTENT_TYPE };
      case "trackdechets":
        return { body: trackdechetsBody(message), contentType: JSON_CONTENT_TYPE };
      case "dastra":
        return { body: dastraBody(message, endpoint, eventTypeDescription), contentType: JSON_CONTENT_TYPE };
      default: {
        const never: never = option.preset;
        throw new BodyRenderError(`unknown body preset ${String(never)}`);
      }
    }
  }
  payloadText(message);
  const context = templateContext(message, endpoint, eventTypeDescription);
  if ("template" in option) {
    try {
      return { body: compileTemplate(option.template).render(context), contentType: JSON_CONTENT_TYPE };
    } catch (error) {
      if (error instanceof TemplateError) throw new BodyRenderError(error.message, { cause: error });
      throw error;
    }
  }
  return fieldsBody(option.fields, option.format, context);
}

/** A batch request's body: the JSON array of its messages' bodies, each element as rendered. */
export function batchBody(elements: string[]): string {
  return "[" + elements.join(",") + "]";
}

/** Save-time check of a body option; returns where and why it is invalid, or null. */
export function checkBodyOption(option: BodyOption): { path: string[]; message: string } | null {
  if ("preset" in option) return null;
  if ("template" in option) {
    try {
      compileTemplate(option.template);
    } catch (error) {
      if (error instanceof TemplateError) return { path: ["template"], message: error.message };
      throw error;
    }
    return null;
  }
  const keys = Object.keys(option.fields);
  if (keys.length === 0) return { path: ["fields"], message: "fields must name at least one key" };
  if (keys.length > MAX_FIELDS) return { path: ["fields"], message: `fields may have at most ${MAX_FIELDS} keys` };
  const roots: readonly string[] = TEMPLATE_CONTEXT_ROOTS;
  for (const key of keys) {
    const path = option.fields[key];
    if (typeof path !== "string" || !FIELD_PATH.test(path)) {
      return { path: ["fields", key], message: "must be a dotted path of letters, digits, _ and -, such as payload.customer.name" };
    }
    const root = path.split(".")[0];
    if (!roots.includes(root)) {
      return { path: ["fields", key], message: `must start with one of ${TEMPLATE_CONTEXT_ROOTS.join(", ")}` };
    }
  }
  return null;
}
