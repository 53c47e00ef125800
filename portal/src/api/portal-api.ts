import type { MessageOut } from "svix";

import { ApiError } from "./api-error.ts";
import { api, request } from "./http.ts";
import { svix } from "./svix-client.ts";
import type {
  Attempt,
  AttemptedDestination,
  AttemptStats,
  BackgroundTask,
  Endpoint,
  EndpointHeaders,
  EndpointStats,
  EndpointSummary,
  EnvironmentSettings,
  EventType,
  ListPage,
  Message,
  MtlsCertificate,
  OneTimeTokenAnswer,
  Profile,
  QueueStatus,
  RateLimitStatus,
  SimulationResult,
  StatsPeriod,
  Transformation,
} from "./types.ts";

/**
 * Every call the portal makes, for the session's application. Calls the svix SDK models go through
 * it (the portal doubles as a proof of compatibility); Herald's extensions, and answers whose
 * Herald fields the SDK's models would drop, go through fetch.
 */

let appId = "";
export function setAppId(id: string): void {
  appId = id;
}
const app = () => `/api/v1/app/${encodeURIComponent(appId)}`;
const endpointPath = (endpointId: string) => `${app()}/endpoint/${encodeURIComponent(endpointId)}`;

export const exchangeOneTimeToken = (oneTimeToken: string) =>
  request<OneTimeTokenAnswer>("POST", "/api/v1/auth/one-time-token", { oneTimeToken }, false);

export const logout = () => svix().authentication.logout();

export const environmentSettings = () => api.get<EnvironmentSettings>("/api/v1/environment/settings");

export const listProfiles = () => api.get<{ data: Profile[] }>("/api/v1/profiles").then((answer) => answer.data);

/** The whole catalogue (a portal's catalogue is small; pages of 250 until done). */
export async function listEventTypes(): Promise<EventType[]> {
  const all: EventType[] = [];
  let iterator: string | null = null;
  do {
    const page = await svix().eventType.list({ limit: 250, withContent: true, iterator });
    for (const eventType of page.data) {
      if (eventType.archived) continue;
      all.push({
        name: eventType.name,
        description: eventType.description,
        archived: false,
        deprecated: eventType.deprecated,
        featureFlag: eventType.featureFlag ?? null,
        schemas: (eventType.schemas as Record<string, unknown> | null | undefined) ?? null,
      });
    }
    iterator = page.done ? null : (page.iterator ?? null);
  } while (iterator);
  return all;
}

export async function listEndpoints(iterator: string | null): Promise<ListPage<EndpointSummary>> {
  const page = await svix().endpoint.list(appId, { limit: 50, iterator });
  return {
    data: page.data.map(({ id, url, description, disabled }) => ({ id, url, description, disabled: disabled ?? false })),
    iterator: page.iterator ?? null,
    prevIterator: page.prevIterator ?? null,
    done: page.done,
  };
}

export const getEndpoint = (endpointId: string) => api.get<Endpoint>(endpointPath(endpointId));

export type EndpointInput = Partial<Omit<Endpoint, "id" | "createdAt" | "updatedAt" | "version" | "effectiveOptions">>;

export const createEndpoint = (input: EndpointInput) => api.post<Endpoint>(`${app()}/endpoint`, input);
export const patchEndpoint = (endpointId: string, input: EndpointInput) => api.patch<Endpoint>(endpointPath(endpointId), input);
export const deleteEndpoint = (endpointId: string) => svix().endpoint.delete(appId, endpointId);

export const getEndpointStats = (endpointId: string, since?: Date) =>
  svix().endpoint.getStats(appId, endpointId, since ? { since } : undefined) as Promise<EndpointStats>;

/** Through fetch: the SDK model would drop Herald's `publicKey` (ed25519 signing). */
export const getSecret = (endpointId: string) => api.get<{ key: string; publicKey?: string }>(`${endpointPath(endpointId)}/secret`);
export const rotateSecret = (endpointId: string) => svix().endpoint.rotateSecret(appId, endpointId, {});

export const getHeaders = (endpointId: string) => svix().endpoint.getHeaders(appId, endpointId) as Promise<EndpointHeaders>;
export const patchHeaders = (endpointId: string, headers: Record<string, string>, deleteHeaders: string[]) =>
  api.patch<void>(`${endpointPath(endpointId)}/headers`, { headers, deleteHeaders });

export const getRateLimitStatus = (endpointId: string) => api.get<RateLimitStatus>(`${endpointPath(endpointId)}/rate-limit-status`);
export const getQueueStatus = (endpointId: string) => api.get<QueueStatus>(`${endpointPath(endpointId)}/status`);
export const clearQueue = (endpointId: string) =>
  api.post<void>(`${endpointPath(endpointId)}/cancel-msgs`, { createdBefore: new Date().toISOString() });

export const recover = (endpointId: string, since: Date) =>
  svix().endpoint.recover(appId, endpointId, { since }) as Promise<BackgroundTask>;
export const replayMissing = (endpointId: string, since: Date) =>
  svix().endpoint.replayMissing(appId, endpointId, { since }) as Promise<BackgroundTask>;
export const sendExample = (endpointId: string, eventType: string) =>
  svix().endpoint.sendExample(appId, endpointId, { eventType });

export const getTransformation = (endpointId: string) => api.get<Transformation>(`${endpointPath(endpointId)}/transformation`);
export const patchTransformation = (endpointId: string, input: { code?: string; enabled?: boolean }) =>
  api.patch<void>(`${endpointPath(endpointId)}/transformation`, input);
export const simulateTransformation = (endpointId: string, code: string, eventType: string, payload: unknown) =>
  api.post<SimulationResult>(`${endpointPath(endpointId)}/transformation/simulate`, { code, eventType, payload });

/** The certificate's public facts, or null when the endpoint has no mTLS identity (404). */
export async function getMtls(endpointId: string): Promise<MtlsCertificate | null> {
  try {
    const answer = await api.get<{ certificate?: MtlsCertificate }>(`${endpointPath(endpointId)}/mtls`);
    return answer.certificate ?? null;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}
export const putMtls = (endpointId: string, identity: string) => api.put<void>(`${endpointPath(endpointId)}/mtls`, { identity });
export const deleteMtls = (endpointId: string) => api.delete<void>(`${endpointPath(endpointId)}/mtls`);

export interface MessageFilter {
  eventTypes?: string[];
  channel?: string;
  tag?: string;
  before?: string;
  after?: string;
}

function messageOf(message: MessageOut): Message {
  return {
    id: message.id,
    eventId: message.eventId ?? null,
    eventType: message.eventType,
    payload: message.payload as unknown,
    channels: message.channels ?? null,
    tags: message.tags ?? null,
    timestamp: message.timestamp.toISOString(),
  };
}

export async function listMessages(filter: MessageFilter, iterator: string | null): Promise<ListPage<Message>> {
  const page = await svix().message.list(appId, {
    limit: 25,
    iterator,
    eventTypes: filter.eventTypes,
    channel: filter.channel,
    tag: filter.tag,
    before: filter.before ? new Date(filter.before) : undefined,
    after: filter.after ? new Date(filter.after) : undefined,
    withContent: false,
  });
  return { data: page.data.map(messageOf), iterator: page.iterator ?? null, prevIterator: page.prevIterator ?? null, done: page.done };
}

export interface EndpointMessageFilter extends MessageFilter {
  status?: number;
}

/** Messages as one endpoint received them (with their status there): the log filtered by status. */
export const listEndpointMessages = (endpointId: string, filter: EndpointMessageFilter, iterator: string | null) =>
  api.get<ListPage<Message & { status: number }>>(`${endpointPath(endpointId)}/msg`, {
    limit: 25,
    iterator,
    status: filter.status,
    event_types: filter.eventTypes,
    channel: filter.channel,
    before: filter.before,
    after: filter.after,
    with_content: false,
  });

/** A message by its id or its eventId (the API takes either in the path). */
export const getMessage = (msgId: string) => svix().message.get(appId, msgId).then(messageOf);


export const listAttemptsByMessage = (msgId: string) =>
  api.get<ListPage<Attempt>>(`${app()}/attempt/msg/${encodeURIComponent(msgId)}`, { limit: 250, with_content: true });

export interface AttemptFilter {
  status?: number;
  statusCodeClass?: number;
  eventTypes?: string[];
  channel?: string;
  before?: string;
  after?: string;
}

export const listAttemptsByEndpoint = (endpointId: string, filter: AttemptFilter, iterator: string | null, limit = 25) =>
  api.get<ListPage<Attempt>>(`${app()}/attempt/endpoint/${encodeURIComponent(endpointId)}`, {
    limit,
    iterator,
    status: filter.status,
    status_code_class: filter.statusCodeClass,
    event_types: filter.eventTypes,
    channel: filter.channel,
    before: filter.before,
    after: filter.after,
    with_content: true,
  });

export const listDestinations = (msgId: string) =>
  api.get<ListPage<AttemptedDestination>>(`${app()}/msg/${encodeURIComponent(msgId)}/endpoint`, { limit: 250 });

export const resend = (msgId: string, endpointId: string) => svix().messageAttempt.resend(appId, msgId, endpointId);

export const attemptStats = (startDate: Date, endDate: Date, period: StatsPeriod, endpointId?: string) =>
  api.get<AttemptStats>(`/api/v1/stats/app/${encodeURIComponent(appId)}/attempt`, {
    startDate: startDate.toISOString(),
    endDate: endDate.toISOString(),
    period,
    endpointId,
  });
