import { idLowerBoundAt } from "../../domain/ids.ts";
import { MESSAGE_STATUS } from "../../domain/types.ts";
import type { DbAttempt } from "../shared-rows.ts";
import { rowToAttempt } from "../shared-rows.ts";
import type { EndpointDeliveryStatus, EndpointStore } from "../store.ts";
import type { SqliteContext } from "./sqlite-database.ts";
import { lazy, withConflict } from "./sqlite-database.ts";
import { fetchPage, mapPage } from "./sqlite-pagination.ts";
import type { DbEndpoint } from "./sqlite-rows.ts";
import { endpointToRow, rowToEndpoint } from "./sqlite-rows.ts";

const UID_TAKEN = "An endpoint with this uid already exists in the application";

export function makeEndpointStore({ db, secretBox, statements }: SqliteContext): EndpointStore {
  const st = lazy(() => ({
    insert: db.prepare<DbEndpoint>(
      `INSERT INTO endpoints (id, app_id, uid, url, description, event_types, channels, keys_sealed, headers_sealed,
         throttle_rate, disabled, first_failure_at, consecutive_failures, window_failures, last_failure_at, profile,
         options, transformation_code, transformation_enabled, transformation_variables, transformation_updated_at,
         mtls_sealed, rate_next_at, throttled_since, metadata, version, created_at, updated_at, deleted_at)
       VALUES (@id, @app_id, @uid, @url, @description, @event_types, @channels, @keys_sealed, @headers_sealed,
         @throttle_rate, @disabled, @first_failure_at, @consecutive_failures, @window_failures, @last_failure_at, @profile,
         @options, @transformation_code, @transformation_enabled, @transformation_variables, @transformation_updated_at,
         @mtls_sealed, NULL, @throttled_since, @metadata, @version, @created_at, @updated_at, NULL)`,
    ),
    byId: db.prepare<[string, string], DbEndpoint>("SELECT * FROM endpoints WHERE app_id = ? AND id = ? AND deleted_at IS NULL"),
    byUid: db.prepare<[string, string], DbEndpoint>("SELECT * FROM endpoints WHERE app_id = ? AND uid = ? AND deleted_at IS NULL"),
    all: db.prepare<[string], DbEndpoint>("SELECT * FROM endpoints WHERE app_id = ? AND deleted_at IS NULL ORDER BY id"),
    // The uid is replaced too: Svix lets an endpoint update change its uid. The rate limiter's
    // columns (rate_next_at, throttled_since) are reserveDeliverySlot's alone.
    update: db.prepare<DbEndpoint>(
      `UPDATE endpoints SET uid = @uid, url = @url, description = @description, event_types = @event_types,
         channels = @channels, keys_sealed = @keys_sealed, headers_sealed = @headers_sealed,
         throttle_rate = @throttle_rate, disabled = @disabled, first_failure_at = @first_failure_at,
         consecutive_failures = @consecutive_failures, window_failures = @window_failures,
         last_failure_at = @last_failure_at, profile = @profile, options = @options,
         transformation_code = @transformation_code, transformation_enabled = @transformation_enabled,
         transformation_variables = @transformation_variables, transformation_updated_at = @transformation_updated_at,
         mtls_sealed = @mtls_sealed, metadata = @metadata, version = @version, updated_at = @updated_at
       WHERE app_id = @app_id AND id = @id AND deleted_at IS NULL`,
    ),
    // One UPDATE … RETURNING: it holds the database write lock from its first read to its commit,
    // so reservations from any number of connections are serialized. Every SET expression reads
    // the row as it was, so `slot` is the same in both; RETURNING gives the row as written.
    reserveSlot: db.prepare<{ appId: string; id: string; now: number; interval: number }, { slot: number }>(
      `UPDATE endpoints SET
         rate_next_at = max(COALESCE(rate_next_at, @now), @now) + @interval,
         throttled_since = CASE WHEN max(COALESCE(rate_next_at, @now), @now) > @now
                                THEN COALESCE(throttled_since, @now) ELSE NULL END
       WHERE app_id = @appId AND id = @id
       RETURNING rate_next_at - @interval AS slot`,
    ),
    softDelete: db.prepare<{ appId: string; id: string; at: number }>(
      `UPDATE endpoints SET deleted_at = @at, updated_at = @at, uid = NULL
       WHERE app_id = @appId AND id = @id AND deleted_at IS NULL`,
    ),
    deleteDeliveries: db.prepare<[string]>("DELETE FROM queue WHERE endpoint_id = ? AND kind = 'deliver'"),
    disable: db.prepare<{ appId: string; id: string; at: number }>(
      `UPDATE endpoints SET disabled = 1, updated_at = @at
       WHERE app_id = @appId AND id = @id AND deleted_at IS NULL AND disabled = 0`,
    ),
    // Cancel: the destinations first, while the jobs that name them are still there.
    cancelDestinations: db.prepare<{ appId: string; id: string; before: string; at: number }>(
      `UPDATE message_destinations
       SET status = ${MESSAGE_STATUS.canceled}, next_attempt_at = NULL, updated_at = @at
       WHERE endpoint_id = @id AND status IN (${MESSAGE_STATUS.pending}, ${MESSAGE_STATUS.sending})
         AND msg_id IN (SELECT msg_id FROM queue
                        WHERE endpoint_id = @id AND app_id = @appId AND kind = 'deliver' AND msg_id < @before)`,
    ),
    cancelDeliveries: db.prepare<{ appId: string; id: string; before: string }>(
      "DELETE FROM queue WHERE endpoint_id = @id AND app_id = @appId AND kind = 'deliver' AND msg_id < @before",
    ),
    queued: db.prepare<{ appId: string; id: string; now: number }, { waiting: number; sending: number; retrying: number }>(
      `SELECT COUNT(*) AS waiting,
              COALESCE(MAX(lease_token IS NOT NULL AND run_at > @now), 0) AS sending,
              COALESCE(MAX(attempt > 1), 0) AS retrying
       FROM queue WHERE endpoint_id = @id AND app_id = @appId AND kind = 'deliver'`,
    ),
    inApp: db.prepare<[string, string], { one: number }>("SELECT 1 AS one FROM endpoints WHERE app_id = ? AND id = ?"),
    lastAttempt: db.prepare<[string], DbAttempt>("SELECT * FROM attempts WHERE endpoint_id = ? ORDER BY id DESC LIMIT 1"),
    lastAttemptWithStatus: db.prepare<[string, number], DbAttempt>(
      "SELECT * FROM attempts WHERE endpoint_id = ? AND status = ? ORDER BY id DESC LIMIT 1",
    ),
  }));

  const deleteTx = db.transaction((appId: string, id: string, at: number) => {
    if (st().softDelete.run({ appId, id, at }).changes === 0) return;
    st().deleteDeliveries.run(id);
  });

  const cancelTx = db.transaction((appId: string, id: string, createdBefore: number, at: number): number => {
    const before = idLowerBoundAt("message", createdBefore);
    st().cancelDestinations.run({ appId, id, before, at });
    return st().cancelDeliveries.run({ appId, id, before }).changes;
  });

  // One read transaction, so the queue counts and the attempts are one snapshot.
  const statusTx = db.transaction((appId: string, id: string, now: number): EndpointDeliveryStatus => {
    const status: EndpointDeliveryStatus = {
      numWaiting: 0,
      sending: false,
      retrying: false,
      lastAttempt: null,
      lastSuccess: null,
      lastFailure: null,
    };
    // The application is checked once, against the endpoint, so the reads below use
    // queue_endpoint and attempts_endpoint(_status) alone.
    if (!st().inApp.get(appId, id)) return status;
    const queued = st().queued.get({ appId, id, now });
    const last = st().lastAttempt.get(id);
    const success = st().lastAttemptWithStatus.get(id, MESSAGE_STATUS.success);
    const failure = st().lastAttemptWithStatus.get(id, MESSAGE_STATUS.fail);
    return {
      numWaiting: queued?.waiting ?? 0,
      sending: queued?.sending === 1,
      retrying: queued?.retrying === 1,
      lastAttempt: last ? rowToAttempt(last) : null,
      lastSuccess: success ? rowToAttempt(success) : null,
      lastFailure: failure ? rowToAttempt(failure) : null,
    };
  });

  return {
    async createEndpoint(endpoint) {
      const row = endpointToRow(endpoint, secretBox);
      withConflict("uid", UID_TAKEN, () => st().insert.run(row));
    },
    async getEndpoint(appId, idOrUid) {
      const row = st().byId.get(appId, idOrUid) ?? st().byUid.get(appId, idOrUid);
      return row ? rowToEndpoint(row, secretBox) : null;
    },
    async listEndpoints(appId, page) {
      const rows = fetchPage<DbEndpoint>(
        statements,
        { from: "SELECT * FROM endpoints", where: ["app_id = ?", "deleted_at IS NULL"], params: [appId], key: "id", order: page.order },
        page,
        (row) => row.id,
      );
      return mapPage(rows, (row) => rowToEndpoint(row, secretBox));
    },
    async listAllEndpoints(appId) {
      return st().all.all(appId).map((row) => rowToEndpoint(row, secretBox));
    },
    async updateEndpoint(endpoint) {
      const row = endpointToRow(endpoint, secretBox);
      withConflict("uid", UID_TAKEN, () => st().update.run(row));
    },
    async deleteEndpoint(appId, endpointId, at) {
      deleteTx.immediate(appId, endpointId, at);
    },
    async disableEndpoint(appId, endpointId, at) {
      // The `disabled = 0` guard makes this a compare-and-set: only one caller sees a change.
      return st().disable.run({ appId, id: endpointId, at }).changes === 1;
    },
    async cancelEndpointMessages(appId, endpointId, createdBefore, at) {
      return cancelTx.immediate(appId, endpointId, createdBefore, at);
    },
    async getEndpointDeliveryStatus(appId, endpointId, now) {
      return statusTx(appId, endpointId, now);
    },
    async reserveDeliverySlot(appId, endpointId, now, intervalMs) {
      const interval = Math.max(0, Math.ceil(intervalMs));
      return st().reserveSlot.get({ appId, id: endpointId, now, interval })?.slot ?? now;
    },
  };
}
