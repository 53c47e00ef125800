import type pg from "pg";

import type { DbEndpointHealth } from "../shared-rows.ts";
import { attemptToRow, rowToEndpointHealth } from "../shared-rows.ts";
import type { DeliveryOutcome, EndpointHealth, Job } from "../store.ts";
import { queryOne, queryRows, statement } from "./postgres-database.ts";
import { WORK_CHANNEL } from "./postgres-queue-statements.ts";

/**
 * completeDelivery, with the completions asked for in one turn of the event loop sent together.
 *
 * Under load the worker finishes many deliveries at once (their answers arrive together), and each
 * completion was a round trip of its own, holding a pooled connection for it; with the database on
 * another host that wait is the network's. So completions are queued and, on the next turn
 * (setImmediate), sent as one call of herald_complete_deliveries
 * (migrations/postgres/0005_complete_deliveries.sql), which runs herald_complete_delivery for each
 * in one transaction. A completion alone in its turn goes on its own, as before.
 *
 * Lock order: a call sorts its deliveries by endpoint, so two calls that touch the same endpoints
 * lock their rows in the same order. If a call fails anyway (a deadlock with another transaction,
 * or one bad delivery), its deliveries are retried one by one: each then succeeds or fails alone,
 * and a caller still hears of its own completion only once it is committed.
 */
export type CompleteDelivery = (job: Job, outcome: DeliveryOutcome) => Promise<EndpointHealth>;

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

interface PendingCompletion {
  params: CompletionParams;
  resolve(health: EndpointHealth): void;
  reject(error: unknown): void;
}

export function makeCompleteDelivery(pool: pg.Pool): CompleteDelivery {
  let pending: PendingCompletion[] = [];

  async function completeAlone(completion: PendingCompletion): Promise<void> {
    try {
      completion.resolve(rowToEndpointHealth(await queryOne(pool, completeOne, oneByOneValues(completion.params))));
    } catch (error) {
      completion.reject(error);
    }
  }

  async function completeTogether(completions: PendingCompletion[]): Promise<void> {
    const deliveries = completions.map((completion, item) => ({ item, ...completion.params }));
    let rows: Array<DbEndpointHealth & { item: number }>;
    try {
      rows = await queryRows(pool, completeMany, [JSON.stringify(deliveries), WORK_CHANNEL]);
    } catch {
      // Nothing of this call was committed: each delivery gets its own answer, one by one and in
      // the same order, so which of two conflicting deliveries fails does not depend on a race.
      for (const completion of completions) await completeAlone(completion);
      return;
    }
    const healthByItem = new Map(rows.map((row) => [row.item, row]));
    completions.forEach((completion, item) => completion.resolve(rowToEndpointHealth(healthByItem.get(item))));
  }

  function flush(): void {
    const completions = pending.sort(byEndpointThenJob);
    pending = [];
    if (completions.length === 1) {
      void completeAlone(completions[0]!);
      return;
    }
    for (let start = 0; start < completions.length; start += MAX_DELIVERIES_PER_CALL) {
      void completeTogether(completions.slice(start, start + MAX_DELIVERIES_PER_CALL));
    }
  }

  return (job, outcome) =>
    new Promise<EndpointHealth>((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush);
      pending.push({ params: completionParams(job, outcome), resolve, reject });
    });
}

function byEndpointThenJob(a: PendingCompletion, b: PendingCompletion): number {
  const endpointA = a.params.attempt_endpoint_id;
  const endpointB = b.params.attempt_endpoint_id;
  if (endpointA !== endpointB) return endpointA < endpointB ? -1 : 1;
  return a.params.job_id - b.params.job_id;
}
