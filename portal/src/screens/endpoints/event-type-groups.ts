import type { EventType } from "../../api/types.ts";

export interface EventTypeGroup {
  prefix: string;
  wildcard: string;
  eventTypes: EventType[];
}

/** Event types grouped by the part of their name before the first dot (`invoice.paid` → `invoice`). */
export function groupEventTypes(eventTypes: EventType[]): EventTypeGroup[] {
  const groups = new Map<string, EventType[]>();
  for (const eventType of eventTypes) {
    const dot = eventType.name.indexOf(".");
    const prefix = dot === -1 ? eventType.name : eventType.name.slice(0, dot);
    groups.set(prefix, [...(groups.get(prefix) ?? []), eventType]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([prefix, members]) => ({
      prefix,
      wildcard: `${prefix}.*`,
      eventTypes: members.sort((a, b) => a.name.localeCompare(b.name)),
    }));
}

/** Whether a subscription list (names and `prefix.*` wildcards) covers an event type. */
export function covers(subscriptions: readonly string[], name: string): boolean {
  return subscriptions.some((entry) => entry === name || entry === "*" || (entry.endsWith(".*") && name.startsWith(entry.slice(0, -1))));
}
