import { TRIGGER } from "../../domain/types.ts";
import type { DbBackgroundTask } from "../shared-rows.ts";
import { backgroundTaskToRow, rowToBackgroundTask } from "../shared-rows.ts";
import type { BackgroundTaskStore } from "../store.ts";
import type { PostgresContext } from "./postgres-database.ts";
import { execute, queryOne, statement, transaction } from "./postgres-database.ts";
import { fetchPage, mapPage } from "./postgres-pagination.ts";
import { insertJob, notifyWork } from "./postgres-queue-statements.ts";
import { BACKGROUND_TASK_COLUMNS, columnList } from "./postgres-rows.ts";
import { trustedSql } from "./postgres-sql.ts";

const st = {
  insert: statement(
    "insert_background_task",
    `INSERT INTO background_tasks (id, app_id, kind, status, data, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  ),
  byId: statement<DbBackgroundTask>(
    "background_task_by_id",
    `SELECT ${columnList(BACKGROUND_TASK_COLUMNS)} FROM background_tasks WHERE id = $1`,
  ),
  // The kind, the application and the creation time never change.
  update: statement("update_background_task", "UPDATE background_tasks SET status = $2, data = $3, updated_at = $4 WHERE id = $1"),
};

export function makeBackgroundTaskStore({ pool }: PostgresContext): BackgroundTaskStore {
  return {
    async createBackgroundTask(task, appId) {
      const row = backgroundTaskToRow(task, appId);
      await transaction(pool, async (tx) => {
        await execute(tx, st.insert, [row.id, row.app_id, row.kind, row.status, row.data, row.created_at, row.updated_at]);
        await insertJob(tx, {
          kind: "task",
          app_id: appId,
          msg_id: null,
          endpoint_id: null,
          lane: null,
          task_id: task.id,
          attempt: 1,
          trigger_type: TRIGGER.scheduled,
          run_at: task.createdAt,
          lease_token: null,
        });
        await notifyWork(tx);
      });
    },
    async getBackgroundTask(id) {
      const row = await queryOne(pool, st.byId, [id]);
      return row ? rowToBackgroundTask(row) : null;
    },
    async listBackgroundTasks(page) {
      const rows = await fetchPage<DbBackgroundTask>(
        pool,
        { from: trustedSql(`SELECT ${columnList(BACKGROUND_TASK_COLUMNS)} FROM background_tasks`), where: [], key: "id", order: page.order },
        page,
        (row) => row.id,
      );
      return mapPage(rows, rowToBackgroundTask);
    },
    async updateBackgroundTask(task) {
      // The application is not updated, so the one passed to the mapper is irrelevant.
      const row = backgroundTaskToRow(task, "");
      await execute(pool, st.update, [row.id, row.status, row.data, row.updated_at]);
    },
  };
}
