import { endpointWantsMessage } from "../domain/endpoint-filter.ts";
import type { Job } from "../store/store.ts";
import { leaseFor, type WorkerDeps } from "./worker-deps.ts";

/**
 * Turns an accepted message into one delivery per matching endpoint. Runs in the worker, not in
 * the API request, so accepting a message costs one insert however many endpoints there are.
 * Returns the delivery jobs, already claimed by this worker.
 */
export async function runFanoutJob(deps: WorkerDeps, job: Job): Promise<Job[]> {
  const message = await deps.store.getMessage(job.appId, job.msgId!);
  if (!message) {
    await deps.store.dropJob(job);
    return [];
  }
  const endpoints = await deps.store.listAllEndpoints(job.appId);
  const targets = endpoints.filter((endpoint) => endpointWantsMessage(endpoint, message)).map((endpoint) => endpoint.id);
  return deps.store.fanOut(job, targets, leaseFor(deps));
}
