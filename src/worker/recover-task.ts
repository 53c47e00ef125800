import { TRIGGER } from "../domain/types.ts";
import type { Job } from "../store/store.ts";
import type { WorkerDeps } from "./worker-deps.ts";

/** Svix's limits for one recover task. */
const BATCH_SIZE = 100;
const MAX_MESSAGES = 10_000;

interface RecoverData {
  appId: string;
  endpointId: string;
  since: number;
  until: number;
  recovered: number;
  /** Progress marker, so a task taken over after a crash resumes where it stopped. */
  lastMsgId?: string | null;
}

/**
 * Background task `endpoint.recover`: re-sends, as manual attempts, every message of the window
 * whose delivery to the endpoint failed and never succeeded.
 */
export async function runBackgroundTaskJob(deps: WorkerDeps, job: Job): Promise<void> {
  const { store, clock } = deps;
  const task = job.taskId ? await store.getBackgroundTask(job.taskId) : null;
  if (!task || task.status !== "running" || task.kind !== "endpoint.recover") {
    await store.dropJob(job);
    return;
  }
  const data = task.data as unknown as RecoverData;
  let { recovered } = data;
  let lastMsgId = data.lastMsgId ?? null;
  while (recovered < MAX_MESSAGES) {
    const ids = await store.listFailedMessageIds(data.appId, data.endpointId, {
      since: data.since,
      until: data.until,
      afterMsgId: lastMsgId,
      limit: Math.min(BATCH_SIZE, MAX_MESSAGES - recovered),
    });
    if (ids.length === 0) break;
    const now = clock.now();
    await store.enqueueDeliveries(ids.map((msgId) => ({ appId: data.appId, msgId, endpointId: data.endpointId, trigger: TRIGGER.manual, runAt: now, ordered: false })));
    recovered += ids.length;
    lastMsgId = ids[ids.length - 1];
    await store.updateBackgroundTask({ ...task, data: { ...data, recovered, lastMsgId }, updatedAt: now });
  }
  await store.updateBackgroundTask({ ...task, status: "finished", data: { ...data, recovered, lastMsgId }, updatedAt: clock.now() });
  await store.dropJob(job);
}
