import type { ResolvedDeliveryOptions } from "../domain/delivery-options.ts";
import { signingKeys } from "../domain/endpoint-keys.ts";
import type { Endpoint, Message } from "../domain/types.ts";
import { batchBody, BodyRenderError, renderBody } from "./request-body.ts";
import { signatureHeaders } from "./signatures.ts";

export const USER_AGENT = "Herald-Webhooks/0.1";

/** One HTTP request for one message, or for a batch of consecutive messages to one endpoint. */
export interface PreparedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Each message's own body, in order (a batch's array elements; a single message's whole body). */
  elements: string[];
}

export type Preparation = { ok: true; request: PreparedRequest } | { ok: false; error: string };

/**
 * Builds the request the endpoint's options describe (to `target`, the endpoint's method and URL
 * unless a transformation changed them): the body (payload, preset, template or
 * field map; a batch is a JSON array of the messages' bodies), the endpoint's custom headers, and
 * Herald's own headers (content type, user agent, signatures), which custom headers cannot
 * override. The first message's id is the `webhook-id` of a batch. A body that cannot be rendered
 * (a template failing on this payload, an expunged payload) is returned as an error for the
 * attempt log rather than thrown.
 */
export function prepareRequest(
  messages: Message[],
  endpoint: Endpoint,
  options: ResolvedDeliveryOptions,
  eventTypeDescription: (eventType: string) => string | null,
  now: number,
  target: { method: string; url: string } = { method: options.method, url: endpoint.url },
): Preparation {
  const rendered = [];
  try {
    for (const message of messages) rendered.push(renderBody(options.body, message, endpoint, eventTypeDescription(message.eventType)));
  } catch (error) {
    if (error instanceof BodyRenderError) return { ok: false, error: error.message };
    throw error;
  }
  const elements = rendered.map((item) => item.body);
  const body = options.batch ? batchBody(elements) : elements[0]!;
  const contentType = options.batch ? "application/json" : rendered[0]!.contentType;
  const headers: Record<string, string> = {
    ...endpoint.headers,
    "content-type": contentType,
    "user-agent": USER_AGENT,
    ...signatureHeaders(options.signatures, {
      msgId: messages[0]!.id,
      timestampSeconds: Math.floor(now / 1000),
      body,
      secrets: signingKeys(endpoint.keys, now),
    }),
  };
  return { ok: true, request: { ...target, headers, body, elements } };
}
