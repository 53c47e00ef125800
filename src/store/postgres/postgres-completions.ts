import type pg from "pg";

import type { DbEndpointHealth } from "../shared-rows.ts";
import { attemptToRow, rowToEndpointHealth } from "../shared-rows.ts";
import type { DeliveryOutcome, EndpointHealth, Job } from "../store.ts";
import type { AttemptStatsFolder, CountedAttempt } from "./postgres-attempt-stats.ts";
import { pendingCountsJson } from "./postgres-attempt-stats.ts";
import { queryRows, statement } from "./postgres-database.ts";
import { WORK_CHANNEL } from "./postgres-queue-statements.ts";
import { callTogetherEachTurn } from "./postgres-turn-calls.ts";

/**
 * completeDelivery, with the completions asked for in one turn of the event loop sent together as
 * one call of herald_complete_deliveries (migrations/postgres/0005_complete_deliveries.sql), which
 * runs herald_complete_delivery for each in one transaction (postgres-turn-calls.ts: a call that
 * fails is retried one delivery at a time), with the call's attempts added up by endpoint and
 * bucket and inserted as pending attempt counts in the same transaction (0010).
 *
 * Lock order: a call sorts its deliveries by endpoint, so two calls that touch the same endpoints
 * lock their rows in the same order.
 */
export type CompleteDelivery = (job: Job, outcome: DeliveryOutcome) => Promise<EndpointHealth | null>;

/** Enough for a turn of a busy worker; a larger turn is sent as several calls. */
const MAX_DELIVERIES_PER_CALL = 100;

/** One element of herald_complete_deliveries' `deliveries`: herald_complete_delivery's parameters by name. */
type CompletionParams = ReturnType<typeof completionParams>;

/** What one call carries per delivery: its parameters, and how its attempt counts. */
interface Completion {
  params: CompletionParams;
  counted: CountedAttempt;
}

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

const completeMany = statement<DbEndpointHealth & { item: number }>(
  "complete_deliveries",
  "SELECT item, first_failure_at, consecutive_failures, window_failures FROM herald_complete_deliveries($1, $2, $3)",
);

export function makeCompleteDelivery(pool: pg.Pool, attemptStats: AttemptStatsFolder): CompleteDelivery {
  async function call(completions: Completion[]): Promise<EndpointHealth[]> {
    const deliveries = completions.map(({ params }, item) => ({ item, ...params }));
    const counts = pendingCountsJson(completions.map(({ counted }) => counted));
    const rows = await queryRows(pool, completeMany, [JSON.stringify(deliveries), WORK_CHANNEL, counts]);
    attemptStats.soon();
    const healthByItem = new Map(rows.map((row) => [row.item, row]));
    return completions.map((_, item) => rowToEndpointHealth(healthByItem.get(item)));
  }
  const complete = callTogetherEachTurn<Completion, EndpointHealth>({
    // One delivery alone goes through the same function: it also counts the attempt.
    async alone(params) {
      return (await call([params]))[0]!;
    },
    together: call,
    maxPerCall: MAX_DELIVERIES_PER_CALL,
    compare: byEndpointThenJob,
  });
  // The function returns the counters always; the contract (store.ts) gives them for failures only.
  return async (job, outcome) => {
    const health = await complete({ params: completionParams(job, outcome), counted: { attempt: outcome.attempt, canceled: outcome.canceled ?? false } });
    return outcome.endpointHealth === "failure" ? health : null;
  };
}

function byEndpointThenJob({ params: a }: Completion, { params: b }: Completion): number {
  const endpointA = a.attempt_endpoint_id;
  const endpointB = b.attempt_endpoint_id;
  if (endpointA !== endpointB) return endpointA < endpointB ? -1 : 1;
  return a.job_id - b.job_id;
}
