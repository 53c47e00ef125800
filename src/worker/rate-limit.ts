import type { Endpoint } from "../domain/types.ts";
import type { Job } from "../store/store.ts";
import type { WorkerDeps } from "./worker-deps.ts";

/**
 * Enforces an endpoint's `throttleRate` (messages per second; the application's when the
 * endpoint sets none) across every worker process: each request reserves the next free slot in
 * the endpoint's row (the store hands out slots 1/rate apart, atomically), and a job whose slot
 * is still ahead goes back to the queue due at that slot, carrying it, so it is sent then without
 * reserving again. Nothing is dropped; excess messages wait. A batch is one request, so one slot.
 *
 * Returns true when the job was put back to wait for its slot.
 */
export async function waitForRateSlot(deps: WorkerDeps, job: Job, endpoint: Endpoint): Promise<boolean> {
  if (job.rateSlotAt !== null) return false;
  const rate = endpoint.throttleRate ?? (await deps.lookups.appThrottleRate(job.appId));
  if (rate === null) return false;
  const now = deps.clock.now();
  const slot = await deps.store.reserveDeliverySlot(job.appId, endpoint.id, now, Math.ceil(1000 / rate));
  if (slot <= now) return false;
  // If the lease was lost meanwhile, the job is another worker's now; either way this one stops.
  if (await deps.store.postponeJob(job, slot)) deps.wakeAt(slot);
  return true;
}
