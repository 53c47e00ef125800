import type { Clock } from "../domain/clock.ts";
import { newId } from "../domain/ids.ts";
import { MESSAGE_RETENTION_MS } from "../domain/retention.ts";
import type { Application, Endpoint } from "../domain/types.ts";
import { OPERATIONAL_APP_ID } from "../store/operational-app.ts";
import type { Store } from "../store/store.ts";

/**
 * Operational webhooks tell the producer about its endpoints (created, updated, deleted,
 * disabled) and about failing deliveries (failing, exhausted, recovered). As in Svix, they are
 * ordinary messages of an internal application whose endpoints are managed through
 * `/api/v1/operational-webhook/endpoint`, so they get the same signing, retries and logs.
 */
export type OperationalEventType =
  | "endpoint.created"
  | "endpoint.updated"
  | "endpoint.deleted"
  | "endpoint.disabled"
  | "message.attempt.exhausted"
  | "message.attempt.failing"
  | "message.attempt.recovered";

export const OPERATIONAL_EVENT_TYPES: readonly OperationalEventType[] = [
  "endpoint.created",
  "endpoint.updated",
  "endpoint.deleted",
  "endpoint.disabled",
  "message.attempt.exhausted",
  "message.attempt.failing",
  "message.attempt.recovered",
];

export interface OperationalEvents {
  emit(type: OperationalEventType, data: Record<string, unknown>): Promise<void>;
}

export function makeOperationalEvents(store: Store, clock: Clock): OperationalEvents {
  return {
    async emit(type, data) {
      if (data.appId === OPERATIONAL_APP_ID) return; // never report on ourselves
      const endpoints = await store.listAllEndpoints(OPERATIONAL_APP_ID);
      if (!endpoints.some((endpoint) => !endpoint.disabled)) return;
      const now = clock.now();
      await store.createMessage({
        id: newId("message", now),
        appId: OPERATIONAL_APP_ID,
        eventId: null,
        eventType: type,
        payload: JSON.stringify({ type, timestamp: new Date(now).toISOString(), data }),
        channels: null,
        metadata: {},
        previous: null,
        createdAt: now,
        expiresAt: now + MESSAGE_RETENTION_MS,
      });
    },
  };
}

/** The `data` of the endpoint.* events. */
export function endpointEventData(app: Pick<Application, "id" | "uid">, endpoint: Pick<Endpoint, "id" | "uid">) {
  return { appId: app.id, appUid: app.uid, endpointId: endpoint.id, endpointUid: endpoint.uid };
}

/** Creates the internal application on first start (idempotent, safe across processes). */
export async function ensureOperationalApp(store: Store, clock: Clock): Promise<void> {
  if (await store.getApplication(OPERATIONAL_APP_ID)) return;
  const now = clock.now();
  try {
    await store.createApplication({
      id: OPERATIONAL_APP_ID,
      uid: null,
      name: "Herald operational webhooks",
      throttleRate: null,
      metadata: {},
      createdAt: now,
      updatedAt: now,
    });
  } catch (error) {
    if (!(await store.getApplication(OPERATIONAL_APP_ID))) throw error;
  }
}
