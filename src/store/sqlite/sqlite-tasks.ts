import type { BackgroundTask } from "../../domain/types.ts";
import { TRIGGER } from "../../domain/types.ts";
import type { DbBackgroundTask } from "../shared-rows.ts";
import { backgroundTaskToRow, rowToBackgroundTask } from "../shared-rows.ts";
import type { BackgroundTaskStore } from "../store.ts";
import type { SqliteContext } from "./sqlite-database.ts";
import { lazy } from "./sqlite-database.ts";
import { fetchPage, mapPage } from "./sqlite-pagination.ts";
import type { QueueStatements } from "./sqlite-queue-statements.ts";
import { insertJob } from "./sqlite-queue-statements.ts";

export function makeBackgroundTaskStore({ db, statements }: SqliteContext, queue: () => QueueStatements): BackgroundTaskStore {
  const st = lazy(() => ({
    insert: db.prepare<DbBackgroundTask>(
      `INSERT INTO background_tasks (id, app_id, kind, status, data, created_at, updated_at)
       VALUES (@id, @app_id, @kind, @status, @data, @created_at, @updated_at)`,
    ),
    byId: db.prepare<[string], DbBackgroundTask>("SELECT * FROM background_tasks WHERE id = ?"),
    // The kind, the application and the creation time never change.
    update: db.prepare<DbBackgroundTask>("UPDATE background_tasks SET status = @status, data = @data, updated_at = @updated_at WHERE id = @id"),
  }));

  const createTx = db.transaction((task: BackgroundTask, appId: string) => {
    st().insert.run(backgroundTaskToRow(task, appId));
    insertJob(queue(), {
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
  });

  return {
    async createBackgroundTask(task, appId) {
      createTx.immediate(task, appId);
    },
    async getBackgroundTask(id) {
      const row = st().byId.get(id);
      return row ? rowToBackgroundTask(row) : null;
    },
    async listBackgroundTasks(page) {
      const rows = fetchPage<DbBackgroundTask>(
        statements,
        { from: "SELECT * FROM background_tasks", where: [], params: [], key: "id", order: page.order },
        page,
        (row) => row.id,
      );
      return mapPage(rows, rowToBackgroundTask);
    },
    async updateBackgroundTask(task) {
      // app_id is not in the SET list, so the value passed here is ignored.
      st().update.run(backgroundTaskToRow(task, ""));
    },
  };
}
