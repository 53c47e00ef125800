/** The Herald API shapes the portal reads beyond what the svix SDK models (see /api/v1/openapi.json). */

export type HttpMethod = "POST" | "PUT" | "PATCH" | "DELETE";

export type BodyOption =
  | { preset: "payload" | "trackdechets" | "dastra" }
  | { template: string }
  | { fields: Record<string, string>; format: "json" | "form" };

export interface BatchOption {
  maxSize: number;
  maxWaitMs: number;
}

export interface DeliveryOptions {
  method: HttpMethod | null;
  timeoutMs: number | null;
  retrySchedule: number[] | null;
  retryForever: boolean | null;
  acceptStatus: "2xx" | "200" | "<400" | null;
  body: BodyOption | null;
  batch: BatchOption | null;
  ordering: "fifo" | "none" | null;
  filter: Record<string, unknown> | null;
  watchFields: string[] | null;
  readyField: string | null;
}

export interface Endpoint extends DeliveryOptions {
  id: string;
  uid: string | null;
  url: string;
  description: string;
  disabled: boolean;
  eventTypes: string[] | null;
  filterTypes: string[] | null;
  channels: string[] | null;
  throttleRate: number | null;
  rateLimit: number | null;
  version: number;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  profile: string;
  effectiveOptions: DeliveryOptions;
}

/** What the endpoint list shows (the svix SDK's EndpointOut, which lacks Herald's fields). */
export interface EndpointSummary {
  id: string;
  url: string;
  description: string;
  disabled: boolean;
}

export interface ListPage<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

export interface Profile {
  name: string;
  description: string;
  notes: string[];
}

export interface EnvironmentSettings {
  displayName?: string | null;
  logoUrl?: string | null;
  customColor?: string | null;
  customFontFamily?: string | null;
  enableChannels?: boolean;
  enableMessageTags?: boolean;
  enableTransformations?: boolean;
  enableEndpointMtlsConfig?: boolean;
  editableDeliveryOptions?: string[];
}

export interface EventType {
  name: string;
  description: string;
  archived: boolean;
  deprecated: boolean;
  featureFlag: string | null;
  schemas: Record<string, unknown> | null;
}

export interface Message {
  id: string;
  eventId: string | null;
  eventType: string;
  payload: unknown;
  channels: string[] | null;
  tags?: string[] | null;
  timestamp: string;
}

/** 0 success, 1 pending, 2 fail, 3 sending, 4 canceled. */
export type DeliveryStatus = 0 | 1 | 2 | 3 | 4;

export interface Attempt {
  id: string;
  msgId: string;
  endpointId: string;
  url: string;
  response: string;
  responseStatusCode: number;
  responseDurationMs: number;
  status: DeliveryStatus;
  triggerType: number;
  timestamp: string;
  attemptNumber: number;
  request: { method: string; url: string; headers: Record<string, string>; body: string | null };
}

export interface AttemptedDestination {
  id: string;
  url: string;
  description: string;
  disabled: boolean;
  status: DeliveryStatus;
  nextAttempt: string | null;
  attemptCount: number;
}

export interface EndpointStats {
  success: number;
  pending: number;
  sending: number;
  fail: number;
  canceled: number;
}

export interface QueueStatus {
  status: "idle" | "sending" | "retrying" | "error";
  numWaiting: number;
  updatedTime: number | null;
  lastSuccessTime: number | null;
  lastFailureTime: number | null;
  lastErrorMessage: string | null;
  lastHttpStatus: number | null;
}

export interface RateLimitStatus {
  status: "Ok" | "RateLimited";
  throttledSince: string | null;
}

export interface Transformation {
  code: string | null;
  enabled: boolean;
}

export interface SimulationResult {
  url: string;
  payload: string;
  method: string | null;
  cancel: boolean;
}

export interface MtlsCertificate {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
}

export interface EndpointHeaders {
  headers: Record<string, string>;
  sensitive: string[];
}

export type StatsPeriod = "OneDay" | "OneHour" | "FiveMinutes";

export interface AttemptStats {
  startDate: string;
  endDate: string;
  period: StatsPeriod;
  data: { successCount: number[]; failureCount: number[]; canceledCount: number[] };
  latency?: { p50: (number | null)[]; p90: (number | null)[]; p99: (number | null)[] };
  endpoints?: {
    endpointId: string;
    successCount: number;
    failureCount: number;
    canceledCount: number;
    p50: number | null;
    p90: number | null;
    p99: number | null;
  }[];
}

export interface BackgroundTask {
  id: string;
  status: string;
  task: string;
}

export interface OneTimeTokenAnswer {
  token: string;
  capabilities: string[];
  appId: string;
  expiresAt: string;
  featureFlags: string[];
  sessionId: string | null;
}
