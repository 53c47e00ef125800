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
 * Returns the delivery jobs that can be sent at once, already claimed by this worker (ordered and
 * batching endpoints' deliveries wait in their lane instead), with the message and endpoint just
 * read, so that sending them needs no second read.
 */
export async function runFanoutJob(deps: WorkerDeps, job: Job): Promise<PreloadedDelivery[]> {
  const message = await deps.store.getMessage(job.appId, job.msgId!);
  if (!message) {
    await deps.store.dropJob(job);
    return [];
  }
  const endpoints = await deps.store.listAllEndpoints(job.appId);
  const targets: FanOutTarget[] = [];
  for (const endpoint of endpoints) {
    if (!endpointWantsMessage(endpoint, message) || !optionsSelect(deps, endpoint, message)) continue;
    const options = endpointDeliveryOptions(endpoint, deps.config);
    targets.push({ endpointId: endpoint.id, ordered: isOrdered(options), delayMs: options.batch?.maxWaitMs ?? 0 });
  }
  const claimed = await deps.store.fanOut(job, targets, leaseFor(deps));
  const byId = new Map(endpoints.map((endpoint) => [endpoint.id, endpoint]));
  return claimed.map((delivery) => ({ job: delivery, message, endpoint: byId.get(delivery.endpointId!)! }));
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
