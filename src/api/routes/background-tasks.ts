import { Type } from "@sinclair/typebox";

import type { Api, ApiContext } from "../context.ts";
import { notFound } from "../errors.ts";
import { toListOut, toPageRequest } from "../pagination.ts";
import { ListOut, OrderQuery, PageQuery } from "../schemas/common.ts";
import { backgroundTaskOut } from "../serializers.ts";
import { BackgroundTaskOut } from "./endpoint-replay.ts";

const tags = ["Background Tasks"];

export async function backgroundTaskRoutes(app: Api, context: ApiContext): Promise<void> {
  app.get(
    "/api/v1/background-task",
    { schema: { tags, operationId: "v1.background-task.list", querystring: Type.Object({ ...PageQuery, ...OrderQuery }), response: { 200: ListOut(BackgroundTaskOut) } } },
    async (request) => toListOut(await context.store.listBackgroundTasks(toPageRequest(request.query, "descending")), backgroundTaskOut),
  );

  app.get(
    "/api/v1/background-task/:task_id",
    {
      schema: { tags, operationId: "v1.background-task.get", params: Type.Object({ task_id: Type.String({ maxLength: 64 }) }), response: { 200: BackgroundTaskOut } },
      // A portal follows the progress of the recover or replay it started; other applications' tasks do not exist for it.
      config: { access: "app" },
    },
    async (request) => {
      const task = await context.store.getBackgroundTask(request.params.task_id);
      const principal = request.principal;
      if (!task || (principal?.kind === "app" && task.data.appId !== principal.appId)) throw notFound("Background task");
      return backgroundTaskOut(task);
    },
  );
}
