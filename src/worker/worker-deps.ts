import type { Logger } from "pino";

import type { ResolvedConfig } from "../config/config.ts";
import type { HttpSender } from "../delivery/http-sender.ts";
import type { Clock } from "../domain/clock.ts";
import type { AddressPolicy } from "../net/address-policy.ts";
import type { OperationalEvents } from "../operational/operational-events.ts";
import type { Job, Lease, Store } from "../store/store.ts";
import type { EndpointListings } from "./endpoint-listings.ts";
import type { FanOutReads } from "./fanout-reads.ts";
import type { Lookups } from "./lookups.ts";
import type { MessageReads } from "./message-reads.ts";

/** What every job handler gets. Built once per worker. */
export interface WorkerDeps {
  store: Store;
  clock: Clock;
  config: ResolvedConfig;
  sender: HttpSender;
  operationalEvents: OperationalEvents;
  logger: Logger;
  /** Jitter source, injectable so retry timing tests are exact. */
  random: () => number;
  workerId: string;
  addressPolicy: AddressPolicy;
  lookups: Lookups;
  /** A fan-out's reads, for the deliveries it queued (fanout-reads.ts). */
  fanOutReads: FanOutReads;
  /** Messages read together for the jobs started together (message-reads.ts). */
  messageReads: MessageReads;
  /** Applications' endpoints listed once for the fan-outs claimed together (endpoint-listings.ts). */
  endpointListings: EndpointListings;
  /**
   * Adds jobs a handler claimed itself (a batch's followers) to the jobs whose leases the worker
   * renews; returns the function that stops renewing them.
   */
  holdJobs(jobs: Job[]): () => void;
  /** Wakes this worker at `time` (a rate-limited delivery's slot), sooner than its next poll. */
  wakeAt(time: number): void;
}

/**
 * How long a claim lasts without renewal. A worker renews the leases of the jobs it is running
 * every LEASE_RENEW_MS, so a live worker keeps its jobs however long they take, and the jobs of a
 * worker that died (SIGKILL, host lost) are taken over by others within LEASE_MS.
 */
export const LEASE_MS = 15_000;
export const LEASE_RENEW_MS = 5_000;

export function leaseFor(deps: WorkerDeps): Lease {
  return { workerId: deps.workerId, now: deps.clock.now(), leaseMs: LEASE_MS };
}
