import { listAttemptsByEndpoint, listEndpointMessages, listMessages } from "../../api/portal-api.ts";
import type { DeliveryStatus, ListPage } from "../../api/types.ts";
import { type LogFilter, timeWindow } from "./message-filter.ts";

/** One row of the log: a message, with its status and response code when one endpoint is chosen. */
export interface LogRow {
  key: string;
  msgId: string;
  eventType: string | null;
  eventId: string | null;
  timestamp: string;
  status: DeliveryStatus | null;
  responseCode: number | null;
}

/**
 * The log's source follows the filter: the application's messages; one endpoint's messages with
 * their status there; or, filtering by response class, that endpoint's attempts.
 */
export async function fetchLogPage(filter: LogFilter, now: number, iterator: string | null): Promise<ListPage<LogRow>> {
  const window = timeWindow(filter, now);
  const eventTypes = filter.eventType ? [filter.eventType] : undefined;
  const channel = filter.channel || undefined;
  const status = filter.status === "" ? undefined : Number(filter.status);
  if (filter.endpointId && filter.statusCodeClass !== "") {
    const page = await listAttemptsByEndpoint(filter.endpointId, { ...window, eventTypes, channel, status, statusCodeClass: Number(filter.statusCodeClass) }, iterator);
    return {
      ...page,
      data: page.data.map((attempt) => ({
        key: attempt.id,
        msgId: attempt.msgId,
        eventType: null,
        eventId: null,
        timestamp: attempt.timestamp,
        status: attempt.status,
        responseCode: attempt.responseStatusCode,
      })),
    };
  }
  if (filter.endpointId) {
    const page = await listEndpointMessages(filter.endpointId, { ...window, eventTypes, channel, status }, iterator);
    return {
      ...page,
      data: page.data.map((message) => ({
        key: message.id,
        msgId: message.id,
        eventType: message.eventType,
        eventId: message.eventId,
        timestamp: message.timestamp,
        status: message.status as DeliveryStatus,
        responseCode: null,
      })),
    };
  }
  const page = await listMessages({ ...window, eventTypes, channel, tag: filter.tag || undefined }, iterator);
  return {
    ...page,
    data: page.data.map((message) => ({
      key: message.id,
      msgId: message.id,
      eventType: message.eventType,
      eventId: message.eventId,
      timestamp: message.timestamp,
      status: null,
      responseCode: null,
    })),
  };
}
