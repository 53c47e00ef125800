import type { Endpoint, Message, StringMap } from "../domain/types.ts";

/**
 * What body templates and field maps can read. The roots are listed in TEMPLATE_CONTEXT_ROOTS; a
 * field path such as `payload.customer.name` or `message.id` starts with one of them.
 */
export interface TemplateContext {
  message: {
    id: string;
    eventId: string | null;
    eventType: string;
    /** ISO-8601 of the message's creation time. */
    timestamp: string;
    channels: string[];
    metadata: StringMap;
  };
  /** The payload parsed as JSON (big integers lose precision), or null once expunged. */
  payload: unknown;
  eventType: string;
  eventTypeDescription: string | null;
  endpoint: { id: string; uid: string | null; url: string; metadata: StringMap };
  metadata: StringMap;
  previous: Record<string, unknown> | null;
}

export const TEMPLATE_CONTEXT_ROOTS = [
  "message",
  "payload",
  "eventType",
  "eventTypeDescription",
  "endpoint",
  "metadata",
  "previous",
] as const satisfies readonly (keyof TemplateContext)[];

export function templateContext(message: Message, endpoint: Endpoint, eventTypeDescription: string | null): TemplateContext {
  return {
    message: {
      id: message.id,
      eventId: message.eventId,
      eventType: message.eventType,
      timestamp: new Date(message.createdAt).toISOString(),
      channels: message.channels ?? [],
      metadata: message.metadata,
    },
    payload: message.payload === null ? null : JSON.parse(message.payload),
    eventType: message.eventType,
    eventTypeDescription,
    endpoint: { id: endpoint.id, uid: endpoint.uid, url: endpoint.url, metadata: endpoint.metadata },
    metadata: message.metadata,
    previous: message.previous,
  };
}
