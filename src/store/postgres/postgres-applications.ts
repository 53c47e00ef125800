import { OPERATIONAL_APP_ID } from "../operational-app.ts";
import type { DbApplication } from "../shared-rows.ts";
import { applicationToRow, rowToApplication } from "../shared-rows.ts";
import type { ApplicationStore, EventTypeStore } from "../store.ts";
import type { PostgresContext } from "./postgres-database.ts";
import { execute, queryOne, statement, transaction, withConflict } from "./postgres-database.ts";
import { fetchPage, mapPage } from "./postgres-pagination.ts";
import type { DbEventType } from "./postgres-rows.ts";
import { APPLICATION_COLUMNS, columnList, EVENT_TYPE_COLUMNS, eventTypeToRow, rowToEventType } from "./postgres-rows.ts";
import { sql, trustedSql } from "./postgres-sql.ts";

const UID_TAKEN = "An application with this uid already exists";
const NAME_TAKEN = "An event type with this name already exists";

const st = {
  insertApplication: statement(
    "insert_application",
    `INSERT INTO applications (id, uid, name, throttle_rate, metadata, created_at, updated_at, deleted_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)`,
  ),
  // By id or uid in one round trip; an id match wins over a uid match, as in Svix. Two probes of
  // unique indexes rather than one `id = $1 OR uid = $1`: see byId in postgres-messages.ts for why (and
  // applications have no index on (something, id) that the uid probe could walk instead).
  applicationByIdOrUid: statement<DbApplication>(
    "application_by_id_or_uid",
    `SELECT ${columnList(APPLICATION_COLUMNS)} FROM (
       SELECT ${columnList(APPLICATION_COLUMNS)}, 1 AS preference FROM applications WHERE id = $1 AND deleted_at IS NULL
       UNION ALL
       SELECT ${columnList(APPLICATION_COLUMNS)}, 2 FROM applications WHERE uid = $1 AND deleted_at IS NULL
     ) AS found
     ORDER BY preference LIMIT 1`,
  ),
  updateApplication: statement(
    "update_application",
    `UPDATE applications SET name = $2, uid = $3, throttle_rate = $4, metadata = $5, updated_at = $6
     WHERE id = $1 AND deleted_at IS NULL`,
  ),
  softDeleteApplication: statement(
    "soft_delete_application",
    "UPDATE applications SET deleted_at = $2, updated_at = $2, uid = NULL WHERE id = $1 AND deleted_at IS NULL",
  ),
  deleteApplicationDeliveries: statement(
    "delete_application_deliveries",
    `DELETE FROM queue WHERE kind = 'deliver' AND endpoint_id IN
       (SELECT id FROM endpoints WHERE app_id = $1 AND deleted_at IS NULL)`,
  ),
  deleteApplicationEndpoints: statement(
    "delete_application_endpoints",
    "UPDATE endpoints SET deleted_at = $2, updated_at = $2, uid = NULL WHERE app_id = $1 AND deleted_at IS NULL",
  ),
  insertEventType: statement(
    "insert_event_type",
    `INSERT INTO event_types (name, description, schemas, archived, deprecated, feature_flag, created_at, updated_at,
       retry_schedule)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
  ),
  eventTypeByName: statement<DbEventType>(
    "event_type_by_name",
    `SELECT ${columnList(EVENT_TYPE_COLUMNS)} FROM event_types WHERE name = $1`,
  ),
  updateEventType: statement(
    "update_event_type",
    `UPDATE event_types SET description = $2, schemas = $3, archived = $4, deprecated = $5, feature_flag = $6,
       updated_at = $7, retry_schedule = $8
     WHERE name = $1`,
  ),
  expungeEventType: statement("expunge_event_type", "DELETE FROM event_types WHERE name = $1"),
};

export function makeApplicationStore({ pool }: PostgresContext): ApplicationStore {
  return {
    async createApplication(app) {
      const row = applicationToRow(app);
      await withConflict("uid", UID_TAKEN, () =>
        execute(pool, st.insertApplication, [row.id, row.uid, row.name, row.throttle_rate, row.metadata, row.created_at, row.updated_at]),
      );
    },
    async getApplication(idOrUid) {
      const row = await queryOne(pool, st.applicationByIdOrUid, [idOrUid]);
      return row ? rowToApplication(row) : null;
    },
    async listApplications(page) {
      const rows = await fetchPage<DbApplication>(
        pool,
        {
          from: trustedSql(`SELECT ${columnList(APPLICATION_COLUMNS)} FROM applications`),
          where: [sql`deleted_at IS NULL`, sql`id <> ${OPERATIONAL_APP_ID}`],
          key: "id",
          order: page.order,
        },
        page,
        (row) => row.id,
      );
      return mapPage(rows, rowToApplication);
    },
    async updateApplication(app) {
      const row = applicationToRow(app);
      await withConflict("uid", UID_TAKEN, () =>
        execute(pool, st.updateApplication, [row.id, row.name, row.uid, row.throttle_rate, row.metadata, row.updated_at]),
      );
    },
    // Deleting an application deletes its endpoints (and their queued deliveries) with it. Its
    // queued fan-outs and tasks are left: the worker finds the application gone and drops them.
    // Queued deliveries go before the endpoints are touched (the lock order in postgres-queue.ts).
    async deleteApplication(id, at) {
      await transaction(pool, async (tx) => {
        if ((await execute(tx, st.softDeleteApplication, [id, at])) === 0) return;
        await execute(tx, st.deleteApplicationDeliveries, [id]);
        await execute(tx, st.deleteApplicationEndpoints, [id, at]);
      });
    },
  };
}

export function makeEventTypeStore({ pool }: PostgresContext): EventTypeStore {
  return {
    async createEventType(eventType) {
      const row = eventTypeToRow(eventType);
      await withConflict("name", NAME_TAKEN, () =>
        execute(pool, st.insertEventType, [
          row.name,
          row.description,
          row.schemas,
          row.archived,
          row.deprecated,
          row.feature_flag,
          row.created_at,
          row.updated_at,
          row.retry_schedule,
        ]),
      );
    },
    async getEventType(name) {
      const row = await queryOne(pool, st.eventTypeByName, [name]);
      return row ? rowToEventType(row) : null;
    },
    async listEventTypes(page, includeArchived) {
      const rows = await fetchPage<DbEventType>(
        pool,
        {
          from: trustedSql(`SELECT ${columnList(EVENT_TYPE_COLUMNS)} FROM event_types`),
          where: includeArchived ? [] : [sql`NOT archived`],
          key: "name",
          order: page.order,
        },
        page,
        (row) => row.name,
      );
      return mapPage(rows, rowToEventType);
    },
    async updateEventType(eventType) {
      const row = eventTypeToRow(eventType);
      await execute(pool, st.updateEventType, [
        row.name,
        row.description,
        row.schemas,
        row.archived,
        row.deprecated,
        row.feature_flag,
        row.updated_at,
        row.retry_schedule,
      ]);
    },
    async expungeEventType(name) {
      await execute(pool, st.expungeEventType, [name]);
    },
  };
}
