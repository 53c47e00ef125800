import { idLowerBoundAt } from "../../domain/ids.ts";
import { MESSAGE_STATUS } from "../../domain/types.ts";
import type { DbAttempt } from "../shared-rows.ts";
import { rowToAttempt } from "../shared-rows.ts";
import type { EndpointStore } from "../store.ts";
import type { PostgresContext } from "./postgres-database.ts";
import { execute, queryByIdOrKey, queryOne, queryRows, statement, transaction, withConflict } from "./postgres-database.ts";
import { fetchPage, mapPage } from "./postgres-pagination.ts";
import type { DbEndpoint } from "./postgres-rows.ts";
import { ATTEMPT_COLUMNS, columnList, ENDPOINT_COLUMNS, endpointToRow, rowToEndpoint } from "./postgres-rows.ts";
import { sql, trustedSql } from "./postgres-sql.ts";

const UID_TAKEN = "An endpoint with this uid already exists in the application";

const st = {
  insert: statement(
    "insert_endpoint",
    `INSERT INTO endpoints (id, app_id, uid, url, description, event_types, channels, keys_sealed, headers_sealed,
       throttle_rate, disabled, first_failure_at, metadata, version, created_at, updated_at,
       consecutive_failures, window_failures, last_failure_at, profile, options, transformation_code,
       transformation_enabled, transformation_variables, transformation_updated_at, mtls_sealed, throttled_since,
       rate_next_at, deleted_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23,
       $24, $25, $26, $27, NULL, NULL)`,
  ),
  // By id, then (if no id matches) by uid: an id match wins over a uid match. Two statements, as
  // for messages (see byId in postgres-messages.ts for why): endpoints_app_id would otherwise be a
  // candidate plan for the uid probe, walking all of the application's endpoints.
  byId: statement<DbEndpoint>(
    "endpoint_by_id",
    `SELECT ${columnList(ENDPOINT_COLUMNS)} FROM endpoints WHERE id = $2 AND app_id = $1 AND deleted_at IS NULL`,
  ),
  byUid: statement<DbEndpoint>(
    "endpoint_by_uid",
    `SELECT ${columnList(ENDPOINT_COLUMNS)} FROM endpoints WHERE app_id = $1 AND uid = $2 AND deleted_at IS NULL`,
  ),
  all: statement<DbEndpoint>(
    "endpoints_of_application",
    `SELECT ${columnList(ENDPOINT_COLUMNS)} FROM endpoints WHERE app_id = $1 AND deleted_at IS NULL ORDER BY id`,
  ),
  // The uid is replaced too: Svix lets an endpoint update change its uid. The rate limiter's
  // columns (rate_next_at, throttled_since) are reserveDeliverySlot's alone.
  update: statement(
    "update_endpoint",
    `UPDATE endpoints SET uid = $3, url = $4, description = $5, event_types = $6, channels = $7, keys_sealed = $8,
       headers_sealed = $9, throttle_rate = $10, disabled = $11, first_failure_at = $12, metadata = $13,
       version = $14, updated_at = $15, consecutive_failures = $16, window_failures = $17, last_failure_at = $18,
       profile = $19, options = $20, transformation_code = $21, transformation_enabled = $22,
       transformation_variables = $23, transformation_updated_at = $24, mtls_sealed = $25
     WHERE app_id = $1 AND id = $2 AND deleted_at IS NULL`,
  ),
  // The rate limiter, one statement. The UPDATE locks the endpoint's row, and a concurrent
  // reservation waits for that lock, then (READ COMMITTED) evaluates the SET expressions again on
  // the row as committed: each reservation starts from the previous one's rate_next_at, so
  // concurrent callers get distinct slots $4 apart. Every SET expression reads the row as it was
  // (the slot is the same in both); RETURNING gives the row as written.
  reserveSlot: statement<{ slot: number }>(
    "reserve_delivery_slot",
    `UPDATE endpoints SET
       rate_next_at = GREATEST(COALESCE(rate_next_at, $3::bigint), $3::bigint) + $4::bigint,
       throttled_since = CASE WHEN GREATEST(COALESCE(rate_next_at, $3::bigint), $3::bigint) > $3::bigint
                              THEN COALESCE(throttled_since, $3::bigint) ELSE NULL END
     WHERE app_id = $1 AND id = $2
     RETURNING rate_next_at - $4::bigint AS slot`,
  ),
  // Queued deliveries go first, and only if the endpoint is live in this application: a delivery
  // being completed locks its job before the endpoint, so deleting in the other order could
  // deadlock with it (see postgres-queue.ts).
  deleteDeliveries: statement(
    "delete_endpoint_deliveries",
    `DELETE FROM queue WHERE endpoint_id = $2 AND kind = 'deliver'
       AND EXISTS (SELECT 1 FROM endpoints WHERE app_id = $1 AND id = $2 AND deleted_at IS NULL)`,
  ),
  softDelete: statement(
    "soft_delete_endpoint",
    `UPDATE endpoints SET deleted_at = $3, updated_at = $3, uid = NULL
     WHERE app_id = $1 AND id = $2 AND deleted_at IS NULL`,
  ),
  // The `NOT disabled` guard makes this a compare-and-set: under concurrent calls the second
  // waits for the first's row lock, re-checks the guard on the committed row, and changes nothing.
  disable: statement(
    "disable_endpoint",
    `UPDATE endpoints SET disabled = true, updated_at = $3
     WHERE app_id = $1 AND id = $2 AND deleted_at IS NULL AND NOT disabled`,
  ),
  // One statement, so one transaction: the queued deliveries of messages older than $3 go, and
  // the destinations they were pending (or sending) for become canceled. Queue rows are locked
  // before destination rows, as everywhere (see postgres-queue.ts). A worker still sending one
  // finds its job gone on completion and leaves the destination alone.
  cancel: statement<{ n: number }>(
    "cancel_endpoint_messages",
    `WITH canceled AS (
       DELETE FROM queue WHERE endpoint_id = $2 AND app_id = $1 AND kind = 'deliver' AND msg_id < $3
       RETURNING msg_id
     ),
     destinations AS (
       UPDATE message_destinations SET status = ${MESSAGE_STATUS.canceled}, next_attempt_at = NULL, updated_at = $4
       WHERE endpoint_id = $2 AND status IN (${MESSAGE_STATUS.pending}, ${MESSAGE_STATUS.sending})
         AND msg_id IN (SELECT msg_id FROM canceled)
     )
     SELECT COUNT(*) AS n FROM canceled`,
  ),
  queued: statement<{ waiting: number; sending: boolean; retrying: boolean }>(
    "endpoint_queued_deliveries",
    `SELECT COUNT(*) AS waiting,
            COALESCE(bool_or(lease_token IS NOT NULL AND run_at > $3), false) AS sending,
            COALESCE(bool_or(attempt > 1), false) AS retrying
     FROM queue WHERE endpoint_id = $2 AND app_id = $1 AND kind = 'deliver'`,
  ),
  // The newest attempt, newest success and newest failure, each one index seek (attempts_endpoint,
  // attempts_endpoint_status). The application is checked once, against the endpoint.
  lastAttempts: statement<DbAttempt & { which: "any" | "success" | "fail" }>(
    "endpoint_last_attempts",
    `(SELECT 'any' AS which, ${columnList(ATTEMPT_COLUMNS)} FROM attempts
      WHERE endpoint_id = $2 AND EXISTS (SELECT 1 FROM endpoints WHERE id = $2 AND app_id = $1)
      ORDER BY id DESC LIMIT 1)
     UNION ALL
     (SELECT 'success', ${columnList(ATTEMPT_COLUMNS)} FROM attempts
      WHERE endpoint_id = $2 AND status = ${MESSAGE_STATUS.success} AND EXISTS (SELECT 1 FROM endpoints WHERE id = $2 AND app_id = $1)
      ORDER BY id DESC LIMIT 1)
     UNION ALL
     (SELECT 'fail', ${columnList(ATTEMPT_COLUMNS)} FROM attempts
      WHERE endpoint_id = $2 AND status = ${MESSAGE_STATUS.fail} AND EXISTS (SELECT 1 FROM endpoints WHERE id = $2 AND app_id = $1)
      ORDER BY id DESC LIMIT 1)`,
  ),
};

function endpointValues(row: DbEndpoint): unknown[] {
  return [
    row.id,
    row.app_id,
    row.uid,
    row.url,
    row.description,
    row.event_types,
    row.channels,
    row.keys_sealed,
    row.headers_sealed,
    row.throttle_rate,
    row.disabled,
    row.first_failure_at,
    row.metadata,
    row.version,
    row.created_at,
    row.updated_at,
    row.consecutive_failures,
    row.window_failures,
    row.last_failure_at,
    row.profile,
    row.options,
    row.transformation_code,
    row.transformation_enabled,
    row.transformation_variables,
    row.transformation_updated_at,
    row.mtls_sealed,
    row.throttled_since,
  ];
}

export function makeEndpointStore({ pool, secretBox }: PostgresContext): EndpointStore {
  return {
    async createEndpoint(endpoint) {
      const row = endpointToRow(endpoint, secretBox);
      await withConflict("uid", UID_TAKEN, () => execute(pool, st.insert, endpointValues(row)));
    },
    async getEndpoint(appId, idOrUid) {
      const row = await queryByIdOrKey(pool, "endpoint", { byId: st.byId, byKey: st.byUid }, appId, idOrUid);
      return row ? rowToEndpoint(row, secretBox) : null;
    },
    async listEndpoints(appId, page) {
      const rows = await fetchPage<DbEndpoint>(
        pool,
        {
          from: trustedSql(`SELECT ${columnList(ENDPOINT_COLUMNS)} FROM endpoints`),
          where: [sql`app_id = ${appId}`, sql`deleted_at IS NULL`],
          key: "id",
          order: page.order,
        },
        page,
        (row) => row.id,
      );
      return mapPage(rows, (row) => rowToEndpoint(row, secretBox));
    },
    async listAllEndpoints(appId) {
      return (await queryRows(pool, st.all, [appId])).map((row) => rowToEndpoint(row, secretBox));
    },
    async updateEndpoint(endpoint) {
      const row = endpointToRow(endpoint, secretBox);
      await withConflict("uid", UID_TAKEN, () =>
        execute(pool, st.update, [
          row.app_id,
          row.id,
          row.uid,
          row.url,
          row.description,
          row.event_types,
          row.channels,
          row.keys_sealed,
          row.headers_sealed,
          row.throttle_rate,
          row.disabled,
          row.first_failure_at,
          row.metadata,
          row.version,
          row.updated_at,
          row.consecutive_failures,
          row.window_failures,
          row.last_failure_at,
          row.profile,
          row.options,
          row.transformation_code,
          row.transformation_enabled,
          row.transformation_variables,
          row.transformation_updated_at,
          row.mtls_sealed,
        ]),
      );
    },
    async deleteEndpoint(appId, endpointId, at) {
      await transaction(pool, async (tx) => {
        await execute(tx, st.deleteDeliveries, [appId, endpointId]);
        await execute(tx, st.softDelete, [appId, endpointId, at]);
      });
    },
    async disableEndpoint(appId, endpointId, at) {
      return (await execute(pool, st.disable, [appId, endpointId, at])) === 1;
    },
    async cancelEndpointMessages(appId, endpointId, createdBefore, at) {
      const row = await queryOne(pool, st.cancel, [appId, endpointId, idLowerBoundAt("message", createdBefore), at]);
      return row?.n ?? 0;
    },
    async getEndpointDeliveryStatus(appId, endpointId, now) {
      const queued = await queryOne(pool, st.queued, [appId, endpointId, now]);
      const last = await queryRows(pool, st.lastAttempts, [appId, endpointId]);
      const find = (which: "any" | "success" | "fail") => {
        const row = last.find((r) => r.which === which);
        return row ? rowToAttempt(row) : null;
      };
      return {
        numWaiting: queued?.waiting ?? 0,
        sending: queued?.sending ?? false,
        retrying: queued?.retrying ?? false,
        lastAttempt: find("any"),
        lastSuccess: find("success"),
        lastFailure: find("fail"),
      };
    },
    async reserveDeliverySlot(appId, endpointId, now, intervalMs) {
      const interval = Math.max(0, Math.ceil(intervalMs));
      return (await queryOne(pool, st.reserveSlot, [appId, endpointId, now, interval]))?.slot ?? now;
    },
  };
}
