import type { Endpoint, Message } from "./types.ts";

/**
 * Whether a message goes to an endpoint at fan-out. Event types: no filter, an exact name, `*`,
 * or `group.*` (any type under `group.`). Channels: an endpoint with channels gets only messages
 * sharing at least one of them; a message without channels never reaches it (Svix semantics).
 */
export function eventTypeMatches(filter: string[] | null, eventType: string): boolean {
  if (filter === null) return true;
  return filter.some((pattern) => {
    if (pattern === "*") return true;
    if (pattern.endsWith(".*")) return eventType.startsWith(pattern.slice(0, -1));
    return pattern === eventType;
  });
}

export function channelsMatch(endpointChannels: string[] | null, messageChannels: string[] | null): boolean {
  if (endpointChannels === null) return true;
  if (messageChannels === null) return false;
  return endpointChannels.some((channel) => messageChannels.includes(channel));
}

/** Whether the endpoint subscribes to the message, by event type and channel, enabled or not. */
export function endpointSubscribes(endpoint: Endpoint, message: Message): boolean {
  return eventTypeMatches(endpoint.eventTypes, message.eventType) && channelsMatch(endpoint.channels, message.channels);
}

/** Whether fan-out sends the message there: an enabled endpoint that subscribes to it. */
export function endpointWantsMessage(endpoint: Endpoint, message: Message): boolean {
  return !endpoint.disabled && endpointSubscribes(endpoint, message);
}
