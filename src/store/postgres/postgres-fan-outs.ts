import type pg from "pg";

import type { DbJob } from "../shared-rows.ts";
import { queryRows, statement } from "./postgres-database.ts";
import { columnList, JOB_COLUMNS } from "./postgres-rows.ts";
import { callTogetherEachTurn } from "./postgres-turn-calls.ts";

/**
 * fanOut's call of herald_fan_out (migrations/postgres/0007_fan_out_parts.sql), with the
 * fan-outs asked for in one turn of the event loop sent together as one call of herald_fan_outs
 * (both as 0007 left them; postgres-turn-calls.ts: a call that fails is retried one fan-out at a
 * time).
 * The fan-outs a worker claimed together read their messages together and share one listing of
 * endpoints (src/worker), so they are ready, and ask, in the same turn.
 *
 * Lock order: each fan-out locks (or deletes) its own fanout job and inserts rows for its own
 * message, so two calls share no rows; they are sorted by job id all the same.
 */
export interface FanOutCall {
  fanout_id: number;
  fanout_lease_token: string | null;
  fanout_app_id: string;
  fanout_msg_id: string;
  now_at: number;
  worker_id: string;
  target_endpoint_ids: string[];
  target_lanes: Array<string | null>;
  target_due_ats: number[];
  target_run_ats: number[];
  target_send_now: boolean[];
  notify_channel: string | null;
  more_to_come: boolean;
}

/** herald_fan_out's parameters in its order. */
const PARAMETER_ORDER = [
  "fanout_id",
  "fanout_lease_token",
  "fanout_app_id",
  "fanout_msg_id",
  "now_at",
  "worker_id",
  "target_endpoint_ids",
  "target_lanes",
  "target_due_ats",
  "target_run_ats",
  "target_send_now",
  "notify_channel",
  "more_to_come",
] as const satisfies ReadonlyArray<keyof FanOutCall>;

/** Enough for one claim of fan-outs; a larger turn is sent as several calls. */
const MAX_FAN_OUTS_PER_CALL = 100;

const fanOutOne = statement<DbJob>(
  "fan_out",
  `SELECT ${columnList(JOB_COLUMNS)} FROM herald_fan_out($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
);

const fanOutMany = statement<DbJob & { item: number }>(
  "fan_outs",
  `SELECT item, ${columnList(JOB_COLUMNS)} FROM herald_fan_outs($1)`,
);

/** Runs a fan-out; resolves to the jobs it claimed for the caller (none if its lease was lost). */
export function makeFanOutCall(pool: pg.Pool): (call: FanOutCall) => Promise<DbJob[]> {
  return callTogetherEachTurn<FanOutCall, DbJob[]>({
    alone: (call) => queryRows(pool, fanOutOne, PARAMETER_ORDER.map((name) => call[name])),
    async together(calls) {
      const rows = await queryRows(pool, fanOutMany, [JSON.stringify(calls.map((call, item) => ({ item, ...call })))]);
      const jobsByItem = calls.map((): DbJob[] => []);
      for (const { item, ...job } of rows) jobsByItem[item]!.push(job);
      return jobsByItem;
    },
    maxPerCall: MAX_FAN_OUTS_PER_CALL,
    compare: (a, b) => a.fanout_id - b.fanout_id,
  });
}
