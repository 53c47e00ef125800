import { endpointWantsMessage } from "../domain/endpoint-filter.ts";
import type { Endpoint, Message } from "../domain/types.ts";
import { compileFilter, passesWatchAndReady } from "../filter/message-filter.ts";
import { endpointDeliveryOptions, isOrdered } from "../profiles/profiles.ts";
import type { FanOutTarget, Job } from "../store/store.ts";
import type { PreloadedDelivery } from "./deliver-job.ts";
import { leaseFor, type WorkerDeps } from "./worker-deps.ts";

/**
 * Turns an accepted message into one delivery per matching endpoint. Runs in the worker, not in
 * the API request, so accepting a message costs one insert however many endpoints there are.
 * Returns the delivery jobs that can be sent at once, up to `room` of them, already claimed by this
 * worker (ordered and batching endpoints' deliveries wait in their lane instead, and those beyond
 * the room in the queue), with the message and endpoint just read, so that sending them needs no
 * second read; the reads are also kept briefly for the queued ones (fanout-reads.ts). The fan-outs
 * claimed together read their messages together and share one listing of each application's
 * endpoints (`claimedAt`: message-reads.ts, endpoint-listings.ts).
 */
export async function runFanoutJob(deps: WorkerDeps, job: Job, room: number, claimedAt: number): Promise<PreloadedDelivery[]> {
  // Both reads at once: on PostgreSQL each is a round trip on the way from POST to delivery.
  const [message, endpoints] = await Promise.all([
    deps.messageReads.read(job.appId, job.msgId!),
    deps.endpointListings.list(job.appId, claimedAt),
  ]);
  if (!message) {
    await deps.store.dropJob(job);
    return [];
  }
  const selected = new Map<string, Endpoint>();
  const targets: FanOutTarget[] = [];
  for (const endpoint of endpoints) {
    if (!endpointWantsMessage(endpoint, message) || !optionsSelect(deps, endpoint, message)) continue;
    const options = endpointDeliveryOptions(endpoint, deps.config);
    selected.set(endpoint.id, endpoint);
    targets.push({ endpointId: endpoint.id, ordered: isOrdered(options), delayMs: options.batch?.maxWaitMs ?? 0 });
  }
  const claimed = await deps.store.fanOut(job, targets, leaseFor(deps), room);
  const started = claimed.map((delivery) => ({ job: delivery, message, endpoint: selected.get(delivery.endpointId!)! }));
  for (const delivery of started) selected.delete(delivery.endpoint.id);
  deps.fanOutReads.remember(message, selected.values());
  return started;
}

/** Whether the endpoint's delivery options select the message: Grist's watch and ready fields, and its payload filter. */
export function optionsSelect(deps: WorkerDeps, endpoint: Endpoint, message: Message): boolean {
  const options = endpointDeliveryOptions(endpoint, deps.config);
  if (!passesWatchAndReady(parsedPayload(message), message.previous, options.watchFields, options.readyField)) return false;
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
