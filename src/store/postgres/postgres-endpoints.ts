import type { EndpointStore } from "../store.ts";
import type { PostgresContext } from "./postgres-database.ts";
import { execute, queryOne, queryRows, statement, transaction, withConflict } from "./postgres-database.ts";
import { fetchPage, mapPage } from "./postgres-pagination.ts";
import type { DbEndpoint } from "./postgres-rows.ts";
import { columnList, ENDPOINT_COLUMNS, endpointToRow, rowToEndpoint } from "./postgres-rows.ts";
import { sql, trustedSql } from "./postgres-sql.ts";

const UID_TAKEN = "An endpoint with this uid already exists in the application";

const st = {
  insert: statement(
    "insert_endpoint",
    `INSERT INTO endpoints (id, app_id, uid, url, description, event_types, channels, keys_sealed, headers_sealed,
       throttle_rate, disabled, first_failure_at, metadata, version, created_at, updated_at, deleted_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, NULL)`,
  ),
  // By id or uid in one round trip; an id match wins over a uid match.
  byIdOrUid: statement<DbEndpoint>(
    "endpoint_by_id_or_uid",
    `SELECT ${columnList(ENDPOINT_COLUMNS)} FROM endpoints
     WHERE app_id = $1 AND (id = $2 OR uid = $2) AND deleted_at IS NULL
     ORDER BY id = $2 DESC LIMIT 1`,
  ),
  all: statement<DbEndpoint>(
    "endpoints_of_application",
    `SELECT ${columnList(ENDPOINT_COLUMNS)} FROM endpoints WHERE app_id = $1 AND deleted_at IS NULL ORDER BY id`,
  ),
  // The uid is replaced too: Svix lets an endpoint update change its uid.
  update: statement(
    "update_endpoint",
    `UPDATE endpoints SET uid = $3, url = $4, description = $5, event_types = $6, channels = $7, keys_sealed = $8,
       headers_sealed = $9, throttle_rate = $10, disabled = $11, first_failure_at = $12, metadata = $13,
       version = $14, updated_at = $15
     WHERE app_id = $1 AND id = $2 AND deleted_at IS NULL`,
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
  ];
}

export function makeEndpointStore({ pool, secretBox }: PostgresContext): EndpointStore {
  return {
    async createEndpoint(endpoint) {
      const row = endpointToRow(endpoint, secretBox);
      await withConflict("uid", UID_TAKEN, () => execute(pool, st.insert, endpointValues(row)));
    },
    async getEndpoint(appId, idOrUid) {
      const row = await queryOne(pool, st.byIdOrUid, [appId, idOrUid]);
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
  };
}
