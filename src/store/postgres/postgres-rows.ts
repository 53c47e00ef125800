import type { SecretBox } from "../../crypto/secret-box.ts";
import type { Endpoint, EventType } from "../../domain/types.ts";
import type {
  DbApplication,
  DbAttempt,
  DbBackgroundTask,
  DbDestination,
  DbEndpoint as SharedDbEndpoint,
  DbEventType as SharedDbEventType,
  DbIdempotencyKey,
  DbJob,
  DbMessage,
} from "../shared-rows.ts";
import * as shared from "../shared-rows.ts";
import { NATIVE_BOOLEAN } from "../shared-rows.ts";

/**
 * Row shapes of the PostgreSQL tables. The rows and their mapping to domain objects are shared with
 * SQLite (`store/shared-rows.ts`, the one place that maps); PostgreSQL stores booleans natively.
 * The column lists below are what named statements select, in place of `SELECT *` (see
 * `Statement` in postgres-database.ts); each is checked against its row type by the compiler.
 */

export type DbEventType = SharedDbEventType<boolean>;
export type DbEndpoint = SharedDbEndpoint<boolean>;

export const eventTypeToRow = (eventType: EventType): DbEventType => shared.eventTypeToRow(eventType, NATIVE_BOOLEAN);
export const rowToEventType = (row: DbEventType): EventType => shared.rowToEventType(row, NATIVE_BOOLEAN);
export const endpointToRow = (endpoint: Endpoint, box: SecretBox): DbEndpoint => shared.endpointToRow(endpoint, box, NATIVE_BOOLEAN);
export const rowToEndpoint = (row: DbEndpoint, box: SecretBox): Endpoint => shared.rowToEndpoint(row, box, NATIVE_BOOLEAN);

// --- column lists ----------------------------------------------------------------------------

/** Every column of a row type, in the order written; a missing or unknown column fails to compile. */
function columnsOf<Row>(columns: Record<keyof Row, true>): readonly string[] {
  return Object.freeze(Object.keys(columns));
}

/** `a, b, c`, or `t.a, t.b, t.c` with a table alias. */
export function columnList(columns: readonly string[], alias?: string): string {
  return columns.map((column) => (alias ? `${alias}.${column}` : column)).join(", ");
}

export const APPLICATION_COLUMNS = columnsOf<DbApplication>({
  id: true,
  uid: true,
  name: true,
  throttle_rate: true,
  metadata: true,
  created_at: true,
  updated_at: true,
  deleted_at: true,
});

export const EVENT_TYPE_COLUMNS = columnsOf<DbEventType>({
  name: true,
  description: true,
  schemas: true,
  archived: true,
  deprecated: true,
  feature_flag: true,
  retry_schedule: true,
  created_at: true,
  updated_at: true,
});

export const ENDPOINT_COLUMNS = columnsOf<DbEndpoint>({
  id: true,
  app_id: true,
  uid: true,
  url: true,
  description: true,
  event_types: true,
  channels: true,
  keys_sealed: true,
  headers_sealed: true,
  throttle_rate: true,
  disabled: true,
  first_failure_at: true,
  consecutive_failures: true,
  window_failures: true,
  last_failure_at: true,
  profile: true,
  options: true,
  transformation_code: true,
  transformation_enabled: true,
  transformation_variables: true,
  transformation_updated_at: true,
  mtls_sealed: true,
  rate_next_at: true,
  throttled_since: true,
  metadata: true,
  version: true,
  created_at: true,
  updated_at: true,
  deleted_at: true,
});

export const MESSAGE_COLUMNS = columnsOf<DbMessage>({
  id: true,
  app_id: true,
  event_id: true,
  event_type: true,
  payload: true,
  channels: true,
  metadata: true,
  previous: true,
  created_at: true,
  expires_at: true,
});

export const DESTINATION_COLUMNS = columnsOf<DbDestination>({
  msg_id: true,
  endpoint_id: true,
  app_id: true,
  status: true,
  next_attempt_at: true,
  attempt_count: true,
  updated_at: true,
});

export const ATTEMPT_COLUMNS = columnsOf<DbAttempt>({
  id: true,
  app_id: true,
  msg_id: true,
  endpoint_id: true,
  url: true,
  status: true,
  response_status_code: true,
  response: true,
  response_duration_ms: true,
  trigger_type: true,
  attempt_number: true,
  request_method: true,
  request_url: true,
  request_headers: true,
  request_body: true,
  batch_size: true,
  created_at: true,
});

export const JOB_COLUMNS = columnsOf<DbJob>({
  id: true,
  kind: true,
  app_id: true,
  msg_id: true,
  endpoint_id: true,
  lane: true,
  task_id: true,
  attempt: true,
  trigger_type: true,
  run_at: true,
  lease_token: true,
  rate_slot_at: true,
});

export const BACKGROUND_TASK_COLUMNS = columnsOf<DbBackgroundTask>({
  id: true,
  app_id: true,
  kind: true,
  status: true,
  data: true,
  created_at: true,
  updated_at: true,
});

export const IDEMPOTENCY_KEY_COLUMNS = columnsOf<DbIdempotencyKey>({
  key: true,
  state: true,
  lock_expires_at: true,
  response_status_code: true,
  response_body: true,
  expires_at: true,
});
