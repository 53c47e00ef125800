import { endpointWantsMessage } from "../domain/endpoint-filter.ts";
import type { Endpoint, Message } from "../domain/types.ts";
import { compileFilter, passesWatchAndReady } from "../filter/message-filter.ts";
import { endpointDeliveryOptions, isOrdered } from "../profiles/profiles.ts";
import type { FanOutTarget, Job } from "../store/store.ts";
import type { PreloadedDelivery } from "./deliver-job.ts";
import { leaseFor, type WorkerDeps } from "./worker-deps.ts";

/**
 * Endpoints read and deliveries written per part. A fan-out to many endpoints goes a part at a
 * time: its first deliveries start once the first page of endpoints is listed and its part
 * written, not after all of them; no single transaction holds the database (SQLite's one writer, a
 * PostgreSQL connection) for the whole of a large fan-out while other messages wait; and the
 * endpoints in memory are one page's, however many the application has.
 */
export const FAN_OUT_PART_SIZE = 1_000;

/** Where a fan-out's deliveries go: the worker starts them as each part is written. */
export interface FanOutStarts {
  /** How many deliveries the worker can start now; `last`: the fan-out's own slot frees too. */
  room(last: boolean): number;
  /** Starts the deliveries claimed by a part (and hands back what it no longer has room for). */
  start(deliveries: PreloadedDelivery[], last: boolean): Promise<void>;
}

/**
 * Turns an accepted message into one delivery per matching endpoint. Runs in the worker, not in
 * the API request, so accepting a message costs one insert however many endpoints there are.
 * The deliveries that can be sent at once, as many as the worker has room for, are claimed by
 * this worker as they are queued and started with the message and endpoint just read, so that
 * sending them needs no second read (ordered and batching endpoints' deliveries wait in their lane
 * instead, and those beyond the room in the queue); the reads are also kept briefly for the
 * queued ones (fanout-reads.ts). The fan-outs claimed together read their messages together and
 * share the listings of each application's endpoints (`claimedAt`: message-reads.ts,
 * endpoint-listings.ts).
 *
 * The fanout job stays in the queue until its last part is written, so later messages' lane
 * deliveries keep waiting for it, and a fan-out cut short runs again: the store skips the
 * endpoints its earlier parts already queued.
 */
export async function runFanoutJob(deps: WorkerDeps, job: Job, claimedAt: number, starts: FanOutStarts, accepted: Message | null): Promise<void> {
  const listPage = (iterator: string | null) => deps.endpointListings.page(job.appId, iterator, FAN_OUT_PART_SIZE, claimedAt);
  // Both reads at once: on PostgreSQL each is a round trip on the way from POST to delivery. A
  // message accepted in this process (`accepted`, see Worker) is not read back.
  const [message, firstPage] = await Promise.all([accepted ?? deps.messageReads.read(job.appId, job.msgId!), listPage(null)]);
  if (!message) {
    await deps.store.dropJob(job);
    return;
  }
  for (let page = firstPage; ; page = await listPage(page.iterator)) {
    const selected = new Map<string, Endpoint>();
    const targets: FanOutTarget[] = [];
    for (const endpoint of page.items) {
      if (!endpointWantsMessage(endpoint, message) || !optionsSelect(deps, endpoint, message)) continue;
      const options = endpointDeliveryOptions(endpoint, deps.config);
      selected.set(endpoint.id, endpoint);
      targets.push({ endpointId: endpoint.id, ordered: isOrdered(options), delayMs: options.batch?.maxWaitMs ?? 0 });
    }
    // The last part deletes the fanout job, even without targets.
    const last = page.done;
    const claimed = await deps.store.fanOut(job, targets, leaseFor(deps), starts.room(last), { moreToCome: !last });
    const started = claimed.map((delivery) => ({ job: delivery, message, endpoint: selected.get(delivery.endpointId!)! }));
    for (const delivery of started) selected.delete(delivery.endpoint.id);
    deps.fanOutReads.remember(message, selected.values());
    await starts.start(started, last);
    if (last) return;
  }
}

/** Whether the endpoint's delivery options select the message: Grist's watch and ready fields, and its payload filter. */
export function optionsSelect(deps: WorkerDeps, endpoint: Endpoint, message: Message): boolean {
  const options = endpointDeliveryOptions(endpoint, deps.config);
  if (!passesWatchAndReady(() => parsedPayload(message), message.previous, options.watchFields, options.readyField)) return false;
  return !options.filter || filterMatches(deps, endpoint, options.filter, message);
}

const parsedPayloads = new WeakMap<Message, unknown>();

function parsedPayload(message: Message): unknown {
  if (message.payload === null) return null;
  if (!parsedPayloads.has(message)) parsedPayloads.set(message, JSON.parse(message.payload));
  return parsedPayloads.get(message);
}

/** A filter that throws on this message (it compiled when saved) does not match; the worker carries on. */
function filterMatches(deps: WorkerDeps, endpoint: Endpoint, filter: Record<string, unknown>, message: Message): boolean {
  try {
    return compileFilter(filter)({
      eventType: message.eventType,
      payload: parsedPayload(message),
      channels: message.channels ?? [],
      metadata: message.metadata,
      previous: message.previous,
    });
  } catch (error) {
    deps.logger.warn({ err: error, endpointId: endpoint.id, msgId: message.id }, "endpoint filter failed on a message; not delivered there");
    return false;
  }
}
