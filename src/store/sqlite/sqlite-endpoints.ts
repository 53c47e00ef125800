import type { EndpointStore } from "../store.ts";
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
         throttle_rate, disabled, first_failure_at, metadata, version, created_at, updated_at, deleted_at)
       VALUES (@id, @app_id, @uid, @url, @description, @event_types, @channels, @keys_sealed, @headers_sealed,
         @throttle_rate, @disabled, @first_failure_at, @metadata, @version, @created_at, @updated_at, NULL)`,
    ),
    byId: db.prepare<[string, string], DbEndpoint>("SELECT * FROM endpoints WHERE app_id = ? AND id = ? AND deleted_at IS NULL"),
    byUid: db.prepare<[string, string], DbEndpoint>("SELECT * FROM endpoints WHERE app_id = ? AND uid = ? AND deleted_at IS NULL"),
    all: db.prepare<[string], DbEndpoint>("SELECT * FROM endpoints WHERE app_id = ? AND deleted_at IS NULL ORDER BY id"),
    // The uid is replaced too: Svix lets an endpoint update change its uid.
    update: db.prepare<DbEndpoint>(
      `UPDATE endpoints SET uid = @uid, url = @url, description = @description, event_types = @event_types,
         channels = @channels, keys_sealed = @keys_sealed, headers_sealed = @headers_sealed,
         throttle_rate = @throttle_rate, disabled = @disabled, first_failure_at = @first_failure_at,
         metadata = @metadata, version = @version, updated_at = @updated_at
       WHERE app_id = @app_id AND id = @id AND deleted_at IS NULL`,
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
  }));

  const deleteTx = db.transaction((appId: string, id: string, at: number) => {
    if (st().softDelete.run({ appId, id, at }).changes === 0) return;
    st().deleteDeliveries.run(id);
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
  };
}
