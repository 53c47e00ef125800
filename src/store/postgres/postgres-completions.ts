import type pg from "pg";

import type { DbEndpointHealth } from "../shared-rows.ts";
import { attemptToRow, rowToEndpointHealth } from "../shared-rows.ts";
import type { DeliveryOutcome, EndpointHealth, Job } from "../store.ts";
import { queryOne, queryRows, statement } from "./postgres-database.ts";
import { WORK_CHANNEL } from "./postgres-queue-statements.ts";
import { callTogetherEachTurn } from "./postgres-turn-calls.ts";

/**
 * completeDelivery, with the completions asked for in one turn of the event loop sent together as
 * one call of herald_complete_deliveries (migrations/postgres/0005_complete_deliveries.sql), which
 * runs herald_complete_delivery for each in one transaction (postgres-turn-calls.ts: a call that
 * fails is retried one delivery at a time).
 *
 * Lock order: a call sorts its deliveries by endpoint, so two calls that touch the same endpoints
 * lock their rows in the same order.
 */
export type CompleteDelivery = (job: Job, outcome: DeliveryOutcome) => Promise<EndpointHealth | null>;

/** Enough for a turn of a busy worker; a larger turn is sent as several calls. */
const MAX_DELIVERIES_PER_CALL = 100;

/** herald_complete_delivery's parameters by name (notify_channel is the call's own, not a delivery's). */
type CompletionParams = ReturnType<typeof completionParams>;

/** herald_complete_delivery's parameters in its order, for the call of one delivery alone. */
const PARAMETER_ORDER = [
  "job_id",
  "job_lease_token",
  "retry_at",
  "destination_status",
  "endpoint_health",
  "failure_window_ms",
  "notify_channel",
  "attempt_id",
  "attempt_app_id",
  "attempt_msg_id",
  "attempt_endpoint_id",
  "attempt_url",
  "attempt_status",
  "attempt_response_status_code",
  "attempt_response",
  "attempt_response_duration_ms",
  "attempt_trigger_type",
  "attempt_attempt_number",
  "attempt_request_method",
  "attempt_request_url",
  "attempt_request_headers",
  "attempt_request_body",
  "attempt_created_at",
  "attempt_batch_size",
] as const satisfies ReadonlyArray<keyof CompletionParams | "notify_channel">;

function completionParams(job: Job, outcome: DeliveryOutcome) {
  const row = attemptToRow(outcome.attempt);
  return {
    job_id: job.id,
    job_lease_token: job.leaseToken,
    retry_at: outcome.retryAt,
    destination_status: outcome.destinationStatus,
    endpoint_health: outcome.endpointHealth,
    failure_window_ms: outcome.failureWindowMs,
    attempt_id: row.id,
    attempt_app_id: row.app_id,
    attempt_msg_id: row.msg_id,
    attempt_endpoint_id: row.endpoint_id,
    attempt_url: row.url,
    attempt_status: row.status,
    attempt_response_status_code: row.response_status_code,
    attempt_response: row.response,
    attempt_response_duration_ms: row.response_duration_ms,
    attempt_trigger_type: row.trigger_type,
    attempt_attempt_number: row.attempt_number,
    attempt_request_method: row.request_method,
    attempt_request_url: row.request_url,
    attempt_request_headers: row.request_headers,
    attempt_request_body: row.request_body,
    attempt_created_at: row.created_at,
    attempt_batch_size: row.batch_size,
  };
}

const completeOne = statement<DbEndpointHealth>(
  "complete_delivery",
  `SELECT first_failure_at, consecutive_failures, window_failures
   FROM herald_complete_delivery($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
     $19, $20, $21, $22, $23, $24)`,
);

const completeMany = statement<DbEndpointHealth & { item: number }>(
  "complete_deliveries",
  "SELECT item, first_failure_at, consecutive_failures, window_failures FROM herald_complete_deliveries($1, $2)",
);

function oneByOneValues(params: CompletionParams): unknown[] {
  return PARAMETER_ORDER.map((name) => (name === "notify_channel" ? WORK_CHANNEL : params[name]));
}

export function makeCompleteDelivery(pool: pg.Pool): CompleteDelivery {
  const complete = callTogetherEachTurn<CompletionParams, EndpointHealth>({
    async alone(params) {
      return rowToEndpointHealth(await queryOne(pool, completeOne, oneByOneValues(params)));
    },
    async together(completions) {
      const deliveries = completions.map((params, item) => ({ item, ...params }));
      const rows = await queryRows(pool, completeMany, [JSON.stringify(deliveries), WORK_CHANNEL]);
      const healthByItem = new Map(rows.map((row) => [row.item, row]));
      return completions.map((_, item) => rowToEndpointHealth(healthByItem.get(item)));
    },
    maxPerCall: MAX_DELIVERIES_PER_CALL,
    compare: byEndpointThenJob,
  });
  // The function returns the counters always; the contract (store.ts) gives them for failures only.
  return async (job, outcome) => {
    const health = await complete(completionParams(job, outcome));
    return outcome.endpointHealth === "failure" ? health : null;
  };
}

function byEndpointThenJob(a: CompletionParams, b: CompletionParams): number {
  const endpointA = a.attempt_endpoint_id;
  const endpointB = b.attempt_endpoint_id;
  if (endpointA !== endpointB) return endpointA < endpointB ? -1 : 1;
  return a.job_id - b.job_id;
}
