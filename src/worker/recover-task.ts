import { endpointSubscribes } from "../domain/endpoint-filter.ts";
import type { BackgroundTask, Message, MessageStatus } from "../domain/types.ts";
import { TRIGGER } from "../domain/types.ts";
import type { Job } from "../store/store.ts";
import { optionsSelect } from "./fanout-job.ts";
import type { WorkerDeps } from "./worker-deps.ts";

/** Svix's limits for one task. */
const BATCH_SIZE = 100;
const MAX_MESSAGES = 10_000;

interface ReplayData {
  appId: string;
  endpointId: string;
  since: number;
  until: number;
  /** Progress marker, so a task taken over after a crash resumes where it stopped. */
  lastMsgId?: string | null;
  /** bulk-replay filters. */
  eventTypes?: string[] | null;
  channel?: string | null;
  status?: MessageStatus | null;
}

/** One page of a task's candidates: the message ids to re-send and where the next page starts. */
interface Page {
  msgIds: string[];
  /** The last message looked at (sent or not); null when there is nothing further. */
  cursor: string | null;
}

type PageSource = (data: ReplayData, afterMsgId: string | null, limit: number) => Promise<Page>;

/**
 * Background tasks that re-send an endpoint's messages over a time window as manual deliveries,
 * page by page, recording progress in the task so a task taken over after a crash resumes:
 * - `endpoint.recover`: messages whose delivery failed and never succeeded;
 * - `endpoint.replay-missing`: messages the endpoint never got that its filters select today;
 * - `endpoint.bulk-replay`: messages it did get, by event types, channel and status.
 */
export async function runBackgroundTaskJob(deps: WorkerDeps, job: Job): Promise<void> {
  const { store } = deps;
  const task = job.taskId ? await store.getBackgroundTask(job.taskId) : null;
  const source = task ? sourceFor(deps, task) : null;
  if (!task || task.status !== "running" || !source) {
    await store.dropJob(job);
    return;
  }
  await replay(deps, task, source);
  await store.dropJob(job);
}

function sourceFor(deps: WorkerDeps, task: BackgroundTask): PageSource | null {
  const { store } = deps;
  switch (task.kind) {
    case "endpoint.recover":
      return async (data, afterMsgId, limit) => {
        const msgIds = await store.listFailedMessageIds(data.appId, data.endpointId, { since: data.since, until: data.until, afterMsgId, limit });
        return { msgIds, cursor: msgIds.at(-1) ?? null };
      };
    case "endpoint.replay-missing":
      return async (data, afterMsgId, limit) => {
        const endpoint = await store.getEndpoint(data.appId, data.endpointId);
        if (!endpoint) return { msgIds: [], cursor: null };
        const messages: Message[] = await store.listMessagesMissingDestination(data.appId, data.endpointId, { since: data.since, until: data.until, afterMsgId, limit });
        const wanted = messages.filter(
          (message) => message.payload !== null && endpointSubscribes(endpoint, message) && optionsSelect(deps, endpoint, message),
        );
        return { msgIds: wanted.map((message) => message.id), cursor: messages.at(-1)?.id ?? null };
      };
    case "endpoint.bulk-replay":
      return async (data, afterMsgId, limit) => {
        const page = await store.listDestinationsByEndpoint(data.appId, data.endpointId, {
          page: { limit, iterator: afterMsgId, order: "ascending" },
          ascending: true,
          after: data.since,
          before: data.until,
          ...(data.status !== null && data.status !== undefined ? { status: data.status } : {}),
          ...(data.channel ? { channel: data.channel } : {}),
          ...(data.eventTypes ? { eventTypes: data.eventTypes } : {}),
        });
        const live = page.items.filter((item) => item.message.payload !== null);
        return { msgIds: live.map((item) => item.message.id), cursor: page.items.at(-1)?.message.id ?? null };
      };
    default:
      return null;
  }
}

async function replay(deps: WorkerDeps, task: BackgroundTask, source: PageSource): Promise<void> {
  const { store, clock } = deps;
  const data = task.data as unknown as ReplayData;
  const counter = task.kind === "endpoint.recover" ? "recovered" : "replayed";
  let sent = Number(task.data[counter] ?? 0);
  let cursor = data.lastMsgId ?? null;
  let progress = task;
  while (sent < MAX_MESSAGES) {
    const page = await source(data, cursor, Math.min(BATCH_SIZE, MAX_MESSAGES - sent));
    if (page.cursor === null) break;
    const now = clock.now();
    await store.enqueueDeliveries(
      page.msgIds.map((msgId) => ({ appId: data.appId, msgId, endpointId: data.endpointId, trigger: TRIGGER.manual, runAt: now, ordered: false })),
    );
    sent += page.msgIds.length;
    cursor = page.cursor;
    progress = { ...progress, data: { ...progress.data, [counter]: sent, lastMsgId: cursor }, updatedAt: now };
    await store.updateBackgroundTask(progress);
  }
  await store.updateBackgroundTask({ ...progress, status: "finished", updatedAt: clock.now() });
}
