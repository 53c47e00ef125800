import type { Application, EventType } from "../../domain/types.ts";
import { OPERATIONAL_APP_ID } from "../operational-app.ts";
import type { DbApplication } from "../shared-rows.ts";
import { applicationToRow, rowToApplication } from "../shared-rows.ts";
import type { ApplicationStore, EventTypeStore } from "../store.ts";
import type { SqliteContext } from "./sqlite-database.ts";
import { lazy, withConflict } from "./sqlite-database.ts";
import { fetchPage, mapPage } from "./sqlite-pagination.ts";
import type { DbEventType } from "./sqlite-rows.ts";
import { eventTypeToRow, rowToEventType } from "./sqlite-rows.ts";

export function makeApplicationStore({ db, statements }: SqliteContext): ApplicationStore {
  const st = lazy(() => ({
    insert: db.prepare<DbApplication>(
      `INSERT INTO applications (id, uid, name, throttle_rate, metadata, created_at, updated_at, deleted_at)
       VALUES (@id, @uid, @name, @throttle_rate, @metadata, @created_at, @updated_at, NULL)`,
    ),
    byId: db.prepare<[string], DbApplication>("SELECT * FROM applications WHERE id = ? AND deleted_at IS NULL"),
    byUid: db.prepare<[string], DbApplication>("SELECT * FROM applications WHERE uid = ? AND deleted_at IS NULL"),
    update: db.prepare<DbApplication>(
      `UPDATE applications SET name = @name, uid = @uid, throttle_rate = @throttle_rate, metadata = @metadata,
         updated_at = @updated_at
       WHERE id = @id AND deleted_at IS NULL`,
    ),
    softDelete: db.prepare<{ id: string; at: number }>(
      "UPDATE applications SET deleted_at = @at, updated_at = @at, uid = NULL WHERE id = @id AND deleted_at IS NULL",
    ),
    deleteDeliveries: db.prepare<[string]>(
      `DELETE FROM queue WHERE kind = 'deliver' AND endpoint_id IN
         (SELECT id FROM endpoints WHERE app_id = ? AND deleted_at IS NULL)`,
    ),
    deleteEndpoints: db.prepare<{ appId: string; at: number }>(
      "UPDATE endpoints SET deleted_at = @at, updated_at = @at, uid = NULL WHERE app_id = @appId AND deleted_at IS NULL",
    ),
  }));

  // Deleting an application deletes its endpoints (and their queued deliveries) with it. Its
  // queued fan-outs and tasks are left: the worker finds the application gone and drops them.
  const deleteTx = db.transaction((id: string, at: number) => {
    if (st().softDelete.run({ id, at }).changes === 0) return;
    st().deleteDeliveries.run(id);
    st().deleteEndpoints.run({ appId: id, at });
  });

  return {
    async createApplication(app) {
      withConflict("uid", "An application with this uid already exists", () => st().insert.run(applicationToRow(app)));
    },
    async getApplication(idOrUid) {
      // An id match wins over a uid match, as in Svix.
      const row = st().byId.get(idOrUid) ?? st().byUid.get(idOrUid);
      return row ? rowToApplication(row) : null;
    },
    async listApplications(page) {
      const rows = fetchPage<DbApplication>(
        statements,
        {
          from: "SELECT * FROM applications",
          where: ["deleted_at IS NULL", "id != ?"],
          params: [OPERATIONAL_APP_ID],
          key: "id",
          order: page.order,
        },
        page,
        (row) => row.id,
      );
      return mapPage(rows, rowToApplication);
    },
    async updateApplication(app: Application) {
      withConflict("uid", "An application with this uid already exists", () => st().update.run(applicationToRow(app)));
    },
    async deleteApplication(id, at) {
      deleteTx.immediate(id, at);
    },
  };
}

export function makeEventTypeStore({ db, statements }: SqliteContext): EventTypeStore {
  const st = lazy(() => ({
    insert: db.prepare<DbEventType>(
      `INSERT INTO event_types (name, description, schemas, archived, deprecated, feature_flag, retry_schedule, created_at,
         updated_at)
       VALUES (@name, @description, @schemas, @archived, @deprecated, @feature_flag, @retry_schedule, @created_at,
         @updated_at)`,
    ),
    byName: db.prepare<[string], DbEventType>("SELECT * FROM event_types WHERE name = ?"),
    update: db.prepare<DbEventType>(
      `UPDATE event_types SET description = @description, schemas = @schemas, archived = @archived,
         deprecated = @deprecated, feature_flag = @feature_flag, retry_schedule = @retry_schedule,
         updated_at = @updated_at
       WHERE name = @name`,
    ),
    expunge: db.prepare<[string]>("DELETE FROM event_types WHERE name = ?"),
  }));

  return {
    async createEventType(eventType: EventType) {
      withConflict("name", "An event type with this name already exists", () => st().insert.run(eventTypeToRow(eventType)));
    },
    async getEventType(name) {
      const row = st().byName.get(name);
      return row ? rowToEventType(row) : null;
    },
    async listEventTypes(page, includeArchived) {
      const rows = fetchPage<DbEventType>(
        statements,
        { from: "SELECT * FROM event_types", where: includeArchived ? [] : ["archived = 0"], params: [], key: "name", order: page.order },
        page,
        (row) => row.name,
      );
      return mapPage(rows, rowToEventType);
    },
    async updateEventType(eventType) {
      st().update.run(eventTypeToRow(eventType));
    },
    async expungeEventType(name) {
      st().expunge.run(name);
    },
  };
}
